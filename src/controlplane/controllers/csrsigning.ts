/**
 * csrsigning: signs approved, not yet issued CSRs of kubernetes.io/kube-apiserver-client-kubelet,
 * kubernetes.io/kube-apiserver-client and kubernetes.io/kubelet-serving with the cluster CA (--cluster-signing-cert-file/
 * key-file), for --cluster-signing-duration or the CSR's shorter spec.expirationSeconds (at
 * least 10 minutes), as upstream's signer: NotBefore backdated 5 minutes, NotAfter backdated
 * too unless the lifetime is under 8 hours, capped at the CA's NotAfter; subject and SANs from
 * the request, usages from spec.usages, requested extensions dropped. A request the signer
 * must refuse gets a Failed condition (SignerValidationFailure) instead.
 */
import { createCertificateFromCSR, type CertificateAuthority, type CertificateSigningRequestInfo, type ExtKeyUsage, type KeyUsage } from '../../pki/index.js';
import { runInformerLoop, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { APISERVER_CLIENT_SIGNER, isApproved, isFailed, isIssued, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, parseCSR, type CertificateSigningRequest } from './csr.js';
import { kubeletClientShapeError } from './csrapproving.js';

const MIN_DURATION_MS = 10 * 60_000;

const KEY_USAGES: Record<string, KeyUsage> = {
  signing: 'digitalSignature', 'digital signature': 'digitalSignature', 'content commitment': 'contentCommitment', 'key encipherment': 'keyEncipherment',
  'key agreement': 'keyAgreement', 'data encipherment': 'dataEncipherment', 'cert sign': 'keyCertSign', 'crl sign': 'cRLSign', 'encipher only': 'encipherOnly', 'decipher only': 'decipherOnly',
};
const EXT_KEY_USAGES: Record<string, ExtKeyUsage> = {
  'server auth': 'serverAuth', 'client auth': 'clientAuth', 'code signing': 'codeSigning', 'email protection': 'emailProtection', 's/mime': 'emailProtection', timestamping: 'timeStamping', 'ocsp signing': 'OCSPSigning',
};

/** The certificate lifetime: the signing duration, or the requested one when shorter (≥ 10 min). */
export function certificateDurationMs(signingDurationMs: number, expirationSeconds: number | undefined): number {
  if (expirationSeconds === undefined || expirationSeconds === null) return signingDurationMs;
  const requested = expirationSeconds * 1000;
  if (requested > signingDurationMs) return signingDurationMs;
  return Math.max(requested, MIN_DURATION_MS);
}

/** upstream's ValidateKubeletServingCSR: a node's serving cert with DNS/IP names only. */
function kubeletServingShapeError(parsed: CertificateSigningRequestInfo, usages: string[]): string | undefined {
  if (parsed.subject.organizations.length !== 1 || parsed.subject.organizations[0] !== 'system:nodes') return `organization must be exactly [system:nodes], got [${parsed.subject.organizations.join(', ')}]`;
  const cn = parsed.subject.commonName;
  if (!cn.startsWith('system:node:') || cn.length === 'system:node:'.length) return `common name must be system:node:<name>, got "${cn}"`;
  if (parsed.emailAddresses.length || parsed.uris.length || parsed.otherNames) return 'email, URI and other subjectAltNames are not allowed';
  if (!parsed.dnsNames.length && !parsed.ips.length) return 'at least one DNS or IP subjectAltName is required';
  const sorted = [...new Set(usages)].sort().join(',');
  if (sorted !== 'digital signature,server auth' && sorted !== 'digital signature,key encipherment,server auth') return `usages must be exactly {digital signature, server auth} or {digital signature, key encipherment, server auth}, got {${usages.join(', ')}}`;
  return undefined;
}

/** Why the signer refuses the request, or undefined when it signs it. */
function signerValidationError(csr: CertificateSigningRequest, parsed: CertificateSigningRequestInfo): string | undefined {
  const usages = csr.spec.usages ?? [];
  if (csr.spec.signerName === KUBELET_CLIENT_SIGNER) return kubeletClientShapeError(parsed, usages);
  if (csr.spec.signerName === KUBELET_SERVING_SIGNER) return kubeletServingShapeError(parsed, usages);
  const invalid = usages.find((u) => u !== 'digital signature' && u !== 'key encipherment' && u !== 'client auth');
  if (invalid) return `invalid usage for client certificate: ${invalid}`;
  if (!usages.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return undefined;
}

export type SigningDecision = { action: 'skip' } | { action: 'fail'; message: string } | { action: 'sign'; parsed: CertificateSigningRequestInfo };

export const SIGNERS = [KUBELET_CLIENT_SIGNER, APISERVER_CLIENT_SIGNER, KUBELET_SERVING_SIGNER];

/** What the signer does with this CSR now. */
export function signingDecision(csr: CertificateSigningRequest): SigningDecision {
  if (!isApproved(csr) || isFailed(csr) || isIssued(csr) || !SIGNERS.includes(csr.spec.signerName)) return { action: 'skip' };
  let parsed: CertificateSigningRequestInfo;
  try {
    parsed = parseCSR(csr);
  } catch (err) {
    return { action: 'fail', message: err instanceof Error ? err.message : String(err) };
  }
  const error = signerValidationError(csr, parsed);
  return error ? { action: 'fail', message: error } : { action: 'sign', parsed };
}

/** Signs the certificate for a request (PEM) with src/pki, usages translated from the API's names. */
export function issueCertificate(parsed: CertificateSigningRequestInfo, usages: string[], ca: CertificateAuthority, durationMs: number, now: Date): string {
  const unknown = usages.filter((u) => !KEY_USAGES[u] && !EXT_KEY_USAGES[u]);
  if (unknown.length) throw new Error(`unrecognized usages: ${unknown.join(', ')}`);
  return createCertificateFromCSR(parsed, ca, {
    keyUsage: [...new Set(usages.flatMap((u) => (KEY_USAGES[u] ? [KEY_USAGES[u]] : [])))],
    usages: [...new Set(usages.flatMap((u) => (EXT_KEY_USAGES[u] ? [EXT_KEY_USAGES[u]] : [])))],
    validityMs: durationMs,
    now,
  });
}

export interface CSRSigningOptions {
  /** The cluster CA, or undefined when --cluster-signing-cert-file/key-file are not set. */
  ca: CertificateAuthority | undefined;
  durationMs: number;
}

export function csrSigningController(options: CSRSigningOptions): Controller {
  return {
    name: 'csrsigning',
    async run(ctx: ControllerContext) {
      const { ca } = options;
      if (!ca) {
        ctx.log.warn('[csrsigning] no --cluster-signing-cert-file/--cluster-signing-key-file: CSRs are not signed');
        return;
      }
      const sync = async (csr: CertificateSigningRequest, name: string) => {
        const decision = signingDecision(csr);
        if (decision.action === 'skip') return;
        const now = ctx.now();
        const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
        if (decision.action === 'fail') {
          const conditions = [...(csr.status?.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: decision.message, lastUpdateTime: at, lastTransitionTime: at }];
          await ctx.client.update(ref('certificatesigningrequests', undefined, name, 'status'), { ...csr, status: { ...csr.status, conditions } });
          ctx.log.info(`[csrsigning] refused ${name}: ${decision.message}`);
          return;
        }
        const pem = issueCertificate(decision.parsed, csr.spec.usages ?? [], ca, certificateDurationMs(options.durationMs, csr.spec.expirationSeconds), now);
        await ctx.client.update(ref('certificatesigningrequests', undefined, name, 'status'), { ...csr, status: { ...csr.status, certificate: Buffer.from(pem).toString('base64') } });
        ctx.log.info(`[csrsigning] signed ${name} for ${decision.parsed.subject.commonName}`);
      };
      const accept = (csr: CertificateSigningRequest) => isApproved(csr) && !isFailed(csr) && !isIssued(csr) && SIGNERS.includes(csr.spec.signerName);
      await runInformerLoop(ctx, { name: 'csrsigning', informer: ctx.informers.informerFor<CertificateSigningRequest>(ref('certificatesigningrequests')), accept, workers: 2, sync });
    },
  };
}
