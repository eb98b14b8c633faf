/**
 * CertificateSigningRequest objects and the PKCS#10 requests inside them, parsed at the DER
 * level (PEM via node-forge) so ECDSA requests, the kubelet's default, read as well as RSA ones.
 * The request's self-signature is verified with Node's crypto (proof of key possession).
 */
import { createPublicKey, verify } from 'node:crypto';
import forge from 'node-forge';
import { KubeforgeError } from '../../errors.js';
import type { KubeObject } from '../../kube/index.js';
import { children, contentOf, decodeOid, rawOf, readRoot, type Tlv } from '../common/der.js';

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

export interface SubjectAttribute {
  oid: string;
  value: string;
}

export interface ParsedCSR {
  /** The subject Name exactly as requested (DER). */
  subjectDer: Buffer;
  subject: SubjectAttribute[];
  commonName: string | undefined;
  organizations: string[];
  spkiDer: Buffer;
  /** `rsa`, `ec`, `ed25519`, ... from Node's key parser. */
  keyType: string;
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** OIDs of the requested extensions. */
  extensionOids: string[];
  signatureValid: boolean;
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';
const SIGNATURE_HASHES: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512', '1.3.101.112': null,
};

function ipString(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function subjectAttributes(der: Buffer, name: Tlv): SubjectAttribute[] {
  return children(der, name).flatMap((rdn) =>
    children(der, rdn).map((atv) => {
      const [type, value] = children(der, atv);
      return { oid: decodeOid(contentOf(der, type!)), value: contentOf(der, value!).toString('utf8') };
    }),
  );
}

function requestedExtensions(der: Buffer, attributes: Tlv | undefined): Array<{ oid: string; value: Buffer }> {
  if (!attributes) return [];
  const out: Array<{ oid: string; value: Buffer }> = [];
  for (const attribute of children(der, attributes)) {
    const [type, values] = children(der, attribute);
    if (decodeOid(contentOf(der, type!)) !== OID_EXTENSION_REQUEST) continue;
    for (const extensions of children(der, values!)) {
      for (const ext of children(der, extensions)) {
        const parts = children(der, ext);
        out.push({ oid: decodeOid(contentOf(der, parts[0]!)), value: Buffer.from(contentOf(der, parts.at(-1)!)) });
      }
    }
  }
  return out;
}

/** Parses a PEM CERTIFICATE REQUEST; throws KF_CSR_INVALID for anything else. */
export function parseCSR(pem: string): ParsedCSR {
  let der: Buffer;
  try {
    const blocks = forge.pem.decode(pem).filter((b) => b.type === 'CERTIFICATE REQUEST' || b.type === 'NEW CERTIFICATE REQUEST');
    if (blocks.length !== 1) throw new Error(`expected one CERTIFICATE REQUEST PEM block, found ${blocks.length}`);
    der = Buffer.from(blocks[0]!.body, 'binary');
    const [info, algorithm, signature] = children(der, readRoot(der));
    const [, subject, spki, attributes] = children(der, info!);
    const spkiDer = Buffer.from(rawOf(der, spki!));
    const publicKey = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
    const algorithmOid = decodeOid(contentOf(der, children(der, algorithm!)[0]!));
    const hash = SIGNATURE_HASHES[algorithmOid];
    const signatureValid = hash !== undefined && verify(hash, rawOf(der, info!), publicKey, contentOf(der, signature!).subarray(1));
    const extensions = requestedExtensions(der, attributes?.tag === 0xa0 ? attributes : undefined);
    const sans = { dnsNames: [] as string[], ipAddresses: [] as string[], emailAddresses: [] as string[], uris: [] as string[] };
    for (const ext of extensions.filter((e) => e.oid === OID_SAN)) {
      for (const name of children(ext.value, readRoot(ext.value))) {
        const value = Buffer.from(contentOf(ext.value, name));
        if (name.tag === 0x82) sans.dnsNames.push(value.toString('utf8'));
        else if (name.tag === 0x87) sans.ipAddresses.push(ipString(value));
        else if (name.tag === 0x81) sans.emailAddresses.push(value.toString('utf8'));
        else if (name.tag === 0x86) sans.uris.push(value.toString('utf8'));
        else sans.uris.push(`<general name tag ${name.tag}>`);
      }
    }
    const subjectList = subjectAttributes(der, subject!);
    return {
      subjectDer: Buffer.from(rawOf(der, subject!)),
      subject: subjectList,
      commonName: subjectList.find((a) => a.oid === OID_CN)?.value,
      organizations: subjectList.filter((a) => a.oid === OID_O).map((a) => a.value),
      spkiDer,
      keyType: publicKey.asymmetricKeyType ?? 'unknown',
      ...sans,
      extensionOids: extensions.map((e) => e.oid),
      signatureValid,
    };
  } catch (err) {
    throw new KubeforgeError('KF_CSR_INVALID', `the certificate request is not a valid PKCS#10 CSR: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The PEM request inside a CSR object (spec.request is base64 of the PEM). */
export const csrRequestPem = (csr: CertificateSigningRequest) => Buffer.from(csr.spec.request ?? '', 'base64').toString('utf8');

export const OID_NAMES = { commonName: OID_CN, organization: OID_O };
