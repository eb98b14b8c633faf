/**
 * CertificateSigningRequest objects: their signers, conditions, and the PKCS#10 request inside
 * them (parsed and verified by src/pki, the one X.509 stack).
 */
import { KubeforgeError } from '../../errors.js';
import type { KubeObject } from '../../kube/index.js';
import { parseCertificateSigningRequest, type CertificateSigningRequestInfo } from '../../pki/index.js';

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

export interface CSRCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CertificateSigningRequest extends KubeObject {
  spec: {
    request: string;
    signerName: string;
    usages?: string[];
    expirationSeconds?: number;
    username?: string;
    uid?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
  };
  status?: { conditions?: CSRCondition[]; certificate?: string };
}

const hasCondition = (csr: CertificateSigningRequest, type: string) => (csr.status?.conditions ?? []).some((c) => c.type === type && c.status !== 'False');
export const isApproved = (csr: CertificateSigningRequest) => hasCondition(csr, 'Approved') && !hasCondition(csr, 'Denied');
export const isDenied = (csr: CertificateSigningRequest) => hasCondition(csr, 'Denied');
export const isFailed = (csr: CertificateSigningRequest) => hasCondition(csr, 'Failed');
export const isIssued = (csr: CertificateSigningRequest) => Boolean(csr.status?.certificate);

/** The PEM request inside a CSR object (spec.request is base64 of the PEM). */
const csrRequestPem = (csr: CertificateSigningRequest) => Buffer.from(csr.spec.request ?? '', 'base64').toString('utf8');

/** The request of a CSR object, parsed and its signature verified by src/pki; KF_CSR_INVALID when it is not one. */
export function parseCSR(csr: CertificateSigningRequest): CertificateSigningRequestInfo {
  try {
    return parseCertificateSigningRequest(csrRequestPem(csr));
  } catch (err) {
    throw new KubeforgeError('KF_CSR_INVALID', `the certificate request is not a valid PKCS#10 CSR: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
