/**
 * PKCS#10 certificate signing requests: creating one (the agent's TLS bootstrap, `certs
 * generate-csr`), parsing and verifying one from an untrusted source (the CSR signer), and
 * issuing a certificate from it. Shapes follow Go's x509.CreateCertificateRequest.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { bitString, bytesOf, children, decodeOid, encodeName, fromDer, oid, OID, seq, set, smallInteger, tagged, toDer, type Asn1 } from './asn1.js';
import { buildCertificate, subjectAltNamesExtension } from './build.js';
import { decodeName, decodeSubjectAltNames, loadCertificate, type AltNames, type ExtKeyUsage, type KeyUsage, type Subject } from './certificate.js';
import { validityWindow } from './issue.js';
import { parsePrivateKeyPem, publicKeyAlgorithm, signatureAlgorithm, signWith, spkiDer, type PublicKeyAlgorithm } from './keys.js';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
/** Signature algorithms accepted on incoming CSRs, with their digests. */
const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export interface CertificateSigningRequestInfo extends AltNames {
  pem: string;
  subject: Subject;
  publicKey: KeyObject;
  publicKeyAlgorithm: PublicKeyAlgorithm;
  spki: Buffer;
}

function csrPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE REQUEST-----\n`;
}

/** A CSR for `key` (private), with the subject and optional SANs, signed with SHA-256. */
export function createCertificateSigningRequest(key: KeyObject, subject: Subject, altNames: AltNames = { dnsNames: [], ips: [] }): string {
  const san = subjectAltNamesExtension(altNames);
  const attributes: Asn1[] = san ? [seq([oid(EXTENSION_REQUEST), set([seq([san])])])] : [];
  const info = seq([smallInteger(0), encodeName(subject), fromDer(spkiDer(key)), tagged(0, attributes)]);
  const infoDer = toDer(info);
  return csrPem(toDer(seq([fromDer(infoDer), signatureAlgorithm(key), bitString(signWith(key, infoDer))])));
}

/** Parses a PEM CSR and checks its self-signature; throws a plain Error saying what is wrong. */
export function parseCertificateSigningRequest(pem: string | Buffer): CertificateSigningRequestInfo {
  const body = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem.toString())?.[1];
  if (!body) throw new Error('it holds no PEM CERTIFICATE REQUEST block');
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  const [info, sigAlg, signature] = children(fromDer(der));
  const [, subject, spki, attributes] = children(info);
  if (!info || !sigAlg || !signature || !subject || !spki) throw new Error('malformed certificate request');
  const hash = SIGNATURE_HASHES[decodeOid(children(sigAlg)[0]!)];
  if (!hash) throw new Error('unsupported signature algorithm');
  const spkiBytes = toDer(spki);
  const publicKey = createPublicKey({ key: spkiBytes, format: 'der', type: 'spki' });
  if (!verify(hash, toDer(info), publicKey, bytesOf(signature).subarray(1))) throw new Error('the request signature does not verify');
  const names: AltNames = { dnsNames: [], ips: [] };
  for (const attribute of children(attributes)) {
    const [type, values] = children(attribute);
    if (!type || decodeOid(type) !== EXTENSION_REQUEST) continue;
    for (const extension of children(children(values)[0])) {
      const parts = children(extension);
      if (decodeOid(parts[0]!) === OID.subjectAltName) decodeSubjectAltNames(fromDer(bytesOf(parts[parts.length - 1])), names);
    }
  }
  return { pem: csrPem(der), subject: decodeName(subject), ...names, publicKey, publicKeyAlgorithm: publicKeyAlgorithm(publicKey), spki: spkiBytes };
}

export interface CSRSigningOptions {
  usages: ExtKeyUsage[];
  /** Key usages to grant; default digitalSignature (+ keyEncipherment for RSA keys), as kubeadm. */
  keyUsage?: KeyUsage[];
  validityMs: number;
  now: Date;
}

/** Issues a leaf certificate for a verified CSR (subject and SANs as requested), signed by the CA. */
export function createCertificateFromCSR(csr: CertificateSigningRequestInfo, ca: { certPem: string; keyPem: string }, options: CSRSigningOptions): string {
  return buildCertificate(
    {
      subject: csr.subject,
      altNames: { dnsNames: csr.dnsNames, ips: csr.ips },
      usages: options.usages,
      isCA: false,
      ...(options.keyUsage ? { keyUsage: options.keyUsage } : {}),
      ...validityWindow(options.now, options.validityMs),
    },
    csr.publicKey,
    { key: parsePrivateKeyPem(ca.keyPem), certificate: loadCertificate(ca.certPem) },
  );
}
