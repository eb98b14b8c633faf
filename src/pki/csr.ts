/**
 * PKCS#10 certificate signing requests: creating one (the agent's TLS bootstrap, `certs
 * generate-csr`), parsing and verifying one from an untrusted source (the CSR signer), and
 * issuing a certificate from it. Shapes follow Go's x509.CreateCertificateRequest.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { bitString, bytesOf, children, decodeOid, encodeName, fromDer, oid, OID, seq, set, smallInteger, Tag, tagged, toDer, type Asn1 } from './asn1.js';
import { buildCertificate, subjectAltNamesExtension } from './build.js';
import { decodeName, decodeSubjectAltNames, noGeneralNames, type AltNames, type ExtKeyUsage, type GeneralNames, type KeyUsage, type Subject } from './certificate.js';
import { validityWindow, type CertificateAuthority } from './issue.js';
import { signatureAlgorithm, signWith, spkiDer } from './keys.js';
import { pemDecode, pemEncode } from './x509.js';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const REQUEST_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];
/**
 * Signature algorithms accepted on incoming CSRs, with their digests (null: Ed25519 signs the
 * message itself). As Go's CertificateRequest.CheckSignature, SHA-1 is still accepted here.
 */
const SIGNATURE_HASHES: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
};

export interface CertificateSigningRequestInfo extends GeneralNames {
  pem: string;
  subject: Subject;
  /** The subject Name exactly as requested (DER), which a signed certificate repeats. */
  subjectDer: Buffer;
  /** Every attribute type of the subject in order: `CN`, `O`, or the dotted OID of any other. */
  subjectAttributes: string[];
  publicKey: KeyObject;
  /** Node's key type: `rsa`, `ec`, `ed25519`, ... (the approver accepts only RSA and ECDSA). */
  keyType: string;
  spki: Buffer;
}

/** A CSR for `key` (private), with the subject and optional SANs, signed with SHA-256. */
export function createCertificateSigningRequest(key: KeyObject, subject: Subject, altNames: AltNames = { dnsNames: [], ips: [] }): string {
  const san = subjectAltNamesExtension(altNames);
  const attributes: Asn1[] = san ? [seq([oid(EXTENSION_REQUEST), set([seq([san])])])] : [];
  const info = seq([smallInteger(0), encodeName(subject), fromDer(spkiDer(key)), tagged(0, attributes)]);
  const infoDer = toDer(info);
  return pemEncode('CERTIFICATE REQUEST', toDer(seq([fromDer(infoDer), signatureAlgorithm(key), bitString(signWith(key, infoDer))])));
}

const ATTRIBUTE_NAMES: Record<string, string> = { [OID.commonName]: 'CN', [OID.organization]: 'O' };

/**
 * Parses the one PEM CSR in `pem` (an untrusted request) and checks its self-signature (proof of
 * possession); throws a plain Error saying what is wrong.
 */
export function parseCertificateSigningRequest(pem: string | Buffer): CertificateSigningRequestInfo {
  const blocks = pemDecode(pem.toString(), REQUEST_LABELS);
  if (blocks.length === 0) throw new Error('it holds no PEM CERTIFICATE REQUEST block');
  if (blocks.length > 1) throw new Error(`it holds ${blocks.length} PEM CERTIFICATE REQUEST blocks, not one`);
  const der = blocks[0]!;
  const [info, sigAlg, signature] = children(fromDer(der));
  const [, subject, spki, attributes] = children(info);
  if (!info || !sigAlg || !signature || !subject || !spki) throw new Error('malformed certificate request');
  const hash = SIGNATURE_HASHES[decodeOid(children(sigAlg)[0]!)];
  if (hash === undefined) throw new Error('unsupported signature algorithm');
  const spkiBytes = toDer(spki);
  const publicKey = createPublicKey({ key: spkiBytes, format: 'der', type: 'spki' });
  if (!verify(hash, toDer(info), publicKey, bytesOf(signature).subarray(1))) throw new Error('the request signature does not verify');
  const names = noGeneralNames();
  for (const attribute of attributes?.tagClass === Tag.class.CONTEXT_SPECIFIC ? children(attributes) : []) {
    const [type, values] = children(attribute);
    if (!type || decodeOid(type) !== EXTENSION_REQUEST) continue;
    for (const extension of children(children(values)[0])) {
      const parts = children(extension);
      if (decodeOid(parts[0]!) === OID.subjectAltName) decodeSubjectAltNames(fromDer(bytesOf(parts[parts.length - 1])), names);
    }
  }
  const subjectAttributes = children(subject).flatMap((rdn) => children(rdn).map((atv) => {
    const type = decodeOid(children(atv)[0]!);
    return ATTRIBUTE_NAMES[type] ?? type;
  }));
  return {
    pem: pemEncode('CERTIFICATE REQUEST', der),
    subject: decodeName(subject),
    subjectDer: toDer(subject),
    subjectAttributes,
    ...names,
    publicKey,
    keyType: publicKey.asymmetricKeyType ?? 'unknown',
    spki: spkiBytes,
  };
}

export interface CSRSigningOptions {
  usages: ExtKeyUsage[];
  /** Key usages to grant; default digitalSignature (+ keyEncipherment for RSA keys), as kubeadm. */
  keyUsage?: KeyUsage[];
  validityMs: number;
  now: Date;
}

/**
 * Issues a leaf certificate for a verified CSR as upstream's CSR signer does: subject and SANs as
 * requested (other requested extensions dropped), the validity of `validityWindow`'s signer
 * policy, capped at the CA's own expiry.
 */
export function createCertificateFromCSR(csr: CertificateSigningRequestInfo, ca: CertificateAuthority, options: CSRSigningOptions): string {
  const caNotAfter = ca.certificate.notAfter;
  if (options.now.getTime() >= caNotAfter.getTime()) throw new Error(`refusing to sign a certificate that expired in the past: NotAfter=${caNotAfter.toISOString()}`);
  return buildCertificate(
    {
      subject: csr.subject,
      subjectDer: csr.subjectDer,
      altNames: { dnsNames: csr.dnsNames, ips: csr.ips, emailAddresses: csr.emailAddresses, uris: csr.uris },
      usages: options.usages,
      isCA: false,
      ...(options.keyUsage ? { keyUsage: options.keyUsage } : {}),
      ...validityWindow(options.now, options.validityMs, caNotAfter),
    },
    csr.publicKey,
    ca,
  );
}
