/**
 * Reading certificates: a small typed view of an X.509 certificate (subject, SANs, usages,
 * validity, key) parsed from DER, plus the checks kubeadm makes before it trusts files on disk.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { bytesOf, children, decodeOid, decodeTime, fromDer, OID, Tag, toDer, type Asn1 } from './asn1.js';
import { formatIP } from './netaddr.js';
import { parsePrivateKeyPem, publicKeyAlgorithm, type PublicKeyAlgorithm } from './keys.js';
import { certificatePem, firstCertificate } from './x509.js';

export interface Subject {
  commonName: string;
  organizations: string[];
}

export interface AltNames {
  dnsNames: string[];
  /** Canonical text (Go's net.IP.String()). */
  ips: string[];
}

/** The SubjectAltName entries a CSR may carry beyond DNS names and IPs (the CSR signer copies them). */
export interface GeneralNames extends AltNames {
  emailAddresses: string[];
  uris: string[];
  /** How many entries of other kinds (otherName, directoryName, ...) there were: kubeforge signs none. */
  otherNames: number;
}

export type ExtKeyUsage = 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection' | 'timeStamping' | 'OCSPSigning';
export type KeyUsage =
  | 'digitalSignature' | 'contentCommitment' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';
/** Bit positions of RFC 5280's KeyUsage. */
export const KEY_USAGE_BITS: readonly KeyUsage[] = [
  'digitalSignature', 'contentCommitment', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
];
export const EXT_KEY_USAGE_OIDS: Record<ExtKeyUsage, string> = {
  serverAuth: OID.serverAuth, clientAuth: OID.clientAuth, codeSigning: '1.3.6.1.5.5.7.3.3', emailProtection: '1.3.6.1.5.5.7.3.4', timeStamping: '1.3.6.1.5.5.7.3.8', OCSPSigning: '1.3.6.1.5.5.7.3.9',
};

export interface CertificateInfo {
  pem: string;
  der: Buffer;
  subject: Subject;
  issuer: Subject;
  /** Raw DER of the subject and issuer names (compared byte for byte when chaining). */
  subjectDer: Buffer;
  issuerDer: Buffer;
  /** Lower-case hex, no leading zeros. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  keyUsage: KeyUsage[];
  /** Known usages by name, others by dotted OID. */
  extKeyUsage: (ExtKeyUsage | string)[];
  dnsNames: string[];
  ips: string[];
  subjectKeyId: Buffer | undefined;
  authorityKeyId: Buffer | undefined;
  publicKey: { algorithm: PublicKeyAlgorithm; bits: number; curve?: string };
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
}

export function decodeName(name: Asn1 | undefined): Subject {
  const subject: Subject = { commonName: '', organizations: [] };
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (!type || !value) continue;
      const text = bytesOf(value).toString(value.type === Tag.type.UTF8 ? 'utf8' : 'latin1');
      const attr = decodeOid(type);
      if (attr === OID.commonName) subject.commonName = text;
      if (attr === OID.organization) subject.organizations.push(text);
    }
  }
  return subject;
}

/** Appends the entries of a GeneralNames value (RFC 5280 4.2.1.6 tags). */
export function decodeSubjectAltNames(generalNames: Asn1, into: GeneralNames): void {
  for (const gn of children(generalNames)) {
    const tag = gn.tagClass === Tag.class.CONTEXT_SPECIFIC ? gn.type : -1;
    if (tag === 1) into.emailAddresses.push(bytesOf(gn).toString('latin1'));
    else if (tag === 2) into.dnsNames.push(bytesOf(gn).toString('latin1'));
    else if (tag === 6) into.uris.push(bytesOf(gn).toString('latin1'));
    else if (tag === 7) into.ips.push(formatIP(bytesOf(gn)));
    else into.otherNames++;
  }
}

export const noGeneralNames = (): GeneralNames => ({ dnsNames: [], ips: [], emailAddresses: [], uris: [], otherNames: 0 });

function decodeKeyUsage(extValue: Asn1): KeyUsage[] {
  const bits = bytesOf(extValue).subarray(1);
  return KEY_USAGE_BITS.filter((_, i) => ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
}

function applyExtension(info: CertificateInfo, extOid: string, value: Asn1): void {
  switch (extOid) {
    case OID.basicConstraints:
      info.isCA = children(value)[0]?.type === Tag.type.BOOLEAN && bytesOf(children(value)[0])[0] !== 0;
      break;
    case OID.keyUsage:
      info.keyUsage = decodeKeyUsage(value);
      break;
    case OID.extKeyUsage:
      info.extKeyUsage = children(value).map((n) => {
        const dotted = decodeOid(n);
        return (Object.keys(EXT_KEY_USAGE_OIDS) as ExtKeyUsage[]).find((k) => EXT_KEY_USAGE_OIDS[k] === dotted) ?? dotted;
      });
      break;
    case OID.subjectAltName: {
      const names = noGeneralNames();
      decodeSubjectAltNames(value, names);
      info.dnsNames.push(...names.dnsNames);
      info.ips.push(...names.ips);
      break;
    }
    case OID.subjectKeyId:
      info.subjectKeyId = bytesOf(value);
      break;
    case OID.authorityKeyId: {
      const keyId = children(value).find((n) => n.tagClass === Tag.class.CONTEXT_SPECIFIC && n.type === 0);
      info.authorityKeyId = keyId && bytesOf(keyId);
      break;
    }
  }
}

/** Parses the first certificate of a PEM text; throws a plain Error when there is none or it is malformed. */
export function loadCertificate(pem: string | Buffer): CertificateInfo {
  const x509 = firstCertificate(pem); // rejects malformed DER with OpenSSL's own parser
  const der = x509.raw;
  const [tbs] = children(fromDer(der));
  const fields = children(tbs);
  const offset = fields[0]?.tagClass === Tag.class.CONTEXT_SPECIFIC ? 1 : 0;
  const [serial, , issuer, validity, subject, spki] = fields.slice(offset);
  const publicKey = x509.publicKey;
  const details = publicKey.asymmetricKeyDetails ?? {};
  const algorithm = publicKeyAlgorithm(publicKey);
  const info: CertificateInfo = {
    pem: certificatePem(der),
    der,
    subject: decodeName(subject),
    issuer: decodeName(issuer),
    subjectDer: toDer(subject!),
    issuerDer: toDer(issuer!),
    serialNumber: bytesOf(serial).toString('hex').replace(/^0+(?=.)/, ''),
    notBefore: decodeTime(children(validity)[0]!),
    notAfter: decodeTime(children(validity)[1]!),
    isCA: false,
    keyUsage: [],
    extKeyUsage: [],
    dnsNames: [],
    ips: [],
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    publicKey: algorithm === 'RSA' ? { algorithm, bits: details.modulusLength ?? 0 } : { algorithm, bits: details.namedCurve === 'prime256v1' ? 256 : 0, curve: details.namedCurve ?? '' },
    spki: toDer(spki!),
  };
  const extensions = fields.find((f) => f.tagClass === Tag.class.CONTEXT_SPECIFIC && f.type === 3);
  for (const ext of children(children(extensions)[0])) {
    const parts = children(ext);
    const extOid = decodeOid(parts[0]!);
    applyExtension(info, extOid, fromDer(bytesOf(parts[parts.length - 1])));
  }
  return info;
}

/** True when `cert` names `ca` as its issuer, `ca` is a CA, and `ca`'s key made the signature. */
export function verifySignedBy(cert: CertificateInfo, ca: CertificateInfo): boolean {
  if (!ca.isCA || !cert.issuerDer.equals(ca.subjectDer)) return false;
  return new X509Certificate(cert.der).verify(createPublicKey({ key: ca.spki, format: 'der', type: 'spki' }));
}

/** True when `key` (a KeyObject or PEM) is the private half of the certificate's public key. */
export function keyMatchesCertificate(key: KeyObject | string | Buffer, cert: CertificateInfo): boolean {
  const keyObject = typeof key === 'string' || Buffer.isBuffer(key) ? parsePrivateKeyPem(key) : key;
  if (publicKeyAlgorithm(keyObject) !== cert.publicKey.algorithm) return false;
  return new X509Certificate(cert.der).checkPrivateKey(keyObject);
}
