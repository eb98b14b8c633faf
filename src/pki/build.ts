/**
 * Writing certificates: a template (subject, SANs, usages, validity) becomes a DER TBSCertificate
 * with the extensions Go's crypto/x509 writes for kubeadm, signed natively by the issuer's key.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import {
  bitString, bool, bytesOf, children, encodeName, encodeTime, fromDer, octets, oid, OID, seq, smallInteger, tagged, toDer, unsignedInteger,
  type Asn1,
} from './asn1.js';
import { EXT_KEY_USAGE_OIDS, KEY_USAGE_BITS, type AltNames, type CertificateInfo, type GeneralNames, type ExtKeyUsage, type KeyUsage, type Subject } from './certificate.js';
import { certificatePem } from './x509.js';
import { publicKeyAlgorithm, signatureAlgorithm, signWith, spkiDer } from './keys.js';
import { ipToBytes } from './netaddr.js';

export interface CertificateTemplate {
  subject: Subject;
  /** The subject Name exactly as a CSR requested it (DER); written instead of `subject`. */
  subjectDer?: Buffer;
  /** DNS names and IPs; the CSR signer also copies requested email and URI names. */
  altNames: AltNames & Partial<Pick<GeneralNames, 'emailAddresses' | 'uris'>>;
  usages: ExtKeyUsage[];
  isCA: boolean;
  /** Overrides the key usages kubeadm derives from isCA and the key type (the CSR signer grants what was requested). */
  keyUsage?: KeyUsage[];
  notBefore: Date;
  notAfter: Date;
}

/** Who signs: the issuer's key, and its certificate (absent for a self-signed CA). */
export interface Issuer {
  key: KeyObject;
  certificate?: CertificateInfo;
}

/** A random positive 127-bit serial (kubeadm draws below 2^63; RFC 5280 allows up to 20 octets). */
function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

function extension(extOid: string, critical: boolean, value: Asn1): Asn1 {
  return seq([oid(extOid), ...(critical ? [bool(true)] : []), octets(toDer(value))]);
}

/** KeyUsage as Go writes it: a BIT STRING trimmed of trailing zero bits. */
function keyUsageBits(usages: KeyUsage[]): Asn1 {
  const bytes = Buffer.alloc(2);
  for (const usage of usages) {
    const bit = KEY_USAGE_BITS.indexOf(usage);
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  const used = bytes[1] === 0 ? bytes.subarray(0, 1) : bytes;
  const last = used[used.length - 1]!;
  let unused = 0;
  while (unused < 8 && (last & (1 << unused)) === 0) unused++;
  return bitString(used, last === 0 ? 0 : unused);
}

/** The SubjectAltName extension value (GeneralNames), or undefined when there are no names. */
function subjectAltNames(names: CertificateTemplate['altNames']): Asn1 | undefined {
  const general = [
    ...names.dnsNames.map((dns) => tagged(2, Buffer.from(dns, 'latin1'))),
    ...names.ips.map((ip) => {
      const bytes = ipToBytes(ip);
      if (!bytes) throw new Error(`not an IP address: ${ip}`);
      return tagged(7, bytes);
    }),
    ...(names.emailAddresses ?? []).map((email) => tagged(1, Buffer.from(email, 'latin1'))),
    ...(names.uris ?? []).map((uri) => tagged(6, Buffer.from(uri, 'latin1'))),
  ];
  return general.length > 0 ? seq(general) : undefined;
}

/** The complete SubjectAltName extension (for certificates and CSR extension requests). */
export function subjectAltNamesExtension(names: AltNames): Asn1 | undefined {
  const san = subjectAltNames(names);
  return san && extension(OID.subjectAltName, false, san);
}

/** RFC 5280 method 1 (as Go): SHA-1 of the subjectPublicKey BIT STRING contents. */
export function subjectKeyId(spki: Buffer): Buffer {
  const publicKeyBits = bytesOf(children(fromDer(spki))[1]).subarray(1);
  return createHash('sha1').update(publicKeyBits).digest();
}

function extensions(template: CertificateTemplate, subjectKey: KeyObject, spki: Buffer, issuer: Issuer): Asn1[] {
  const keyUsage: KeyUsage[] = template.keyUsage ?? (template.isCA
    ? ['digitalSignature', 'keyEncipherment', 'keyCertSign']
    : publicKeyAlgorithm(subjectKey) === 'RSA'
      ? ['digitalSignature', 'keyEncipherment']
      : ['digitalSignature']);
  // Go writes no KeyUsage extension when a template grants none (a CSR asking only for client auth).
  const list = keyUsage.length > 0 ? [extension(OID.keyUsage, true, keyUsageBits(keyUsage))] : [];
  if (template.usages.length > 0) list.push(extension(OID.extKeyUsage, false, seq(template.usages.map((u) => oid(EXT_KEY_USAGE_OIDS[u])))));
  list.push(extension(OID.basicConstraints, true, seq(template.isCA ? [bool(true)] : [])));
  if (template.isCA) list.push(extension(OID.subjectKeyId, false, octets(subjectKeyId(spki))));
  const akid = issuer.certificate?.subjectKeyId;
  if (issuer.certificate && akid && akid.length > 0) list.push(extension(OID.authorityKeyId, false, seq([tagged(0, akid)])));
  const san = subjectAltNamesExtension(template.altNames);
  if (san) list.push(san);
  return list;
}

/** Builds and signs a certificate for `subjectKey` (public or private); returns PEM. */
export function buildCertificate(template: CertificateTemplate, subjectKey: KeyObject, issuer: Issuer): string {
  const spki = spkiDer(subjectKey);
  const sigAlg = signatureAlgorithm(issuer.key);
  const subjectName = template.subjectDer ? fromDer(template.subjectDer) : encodeName(template.subject);
  const issuerName = issuer.certificate ? fromDer(issuer.certificate.subjectDer) : subjectName;
  const tbs = seq([
    tagged(0, [smallInteger(2)]),
    unsignedInteger(randomSerial()),
    sigAlg,
    issuerName,
    seq([encodeTime(template.notBefore), encodeTime(template.notAfter)]),
    subjectName,
    fromDer(spki),
    tagged(3, [seq(extensions(template, subjectKey, spki, issuer))]),
  ]);
  const tbsDer = toDer(tbs);
  const signature = signWith(issuer.key, tbsDer);
  const certificate = toDer(seq([fromDer(tbsDer), signatureAlgorithm(issuer.key), bitString(signature)]));
  return certificatePem(certificate);
}
