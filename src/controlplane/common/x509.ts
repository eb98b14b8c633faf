/**
 * Certificate building with Node's native crypto for the signature (fast for RSA and ECDSA):
 * `signCertificate` turns a template into a DER certificate signed by an issuer, and
 * `selfSignedServingCertificate` makes the in-memory serving cert the controller manager and
 * scheduler use when no --tls-cert-file is given, as upstream does. The lead swaps these for
 * src/pki's builder at merge; nothing else here depends on how certificates are built.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, booleanTrue, children, contentOf, decodeOid, explicit, implicit, nullValue, octetString, oid, rawOf, readRoot, sequence, set, time, tlv, unsignedInteger, utf8String } from './der.js';

export type KeyUsage = 'digitalSignature' | 'contentCommitment' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';
export type ExtKeyUsage = 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection' | 'timeStamping' | 'OCSPSigning';

const KEY_USAGE_BITS: Record<KeyUsage, number> = {
  digitalSignature: 0, contentCommitment: 1, keyEncipherment: 2, dataEncipherment: 3, keyAgreement: 4, keyCertSign: 5, cRLSign: 6, encipherOnly: 7, decipherOnly: 8,
};
const EXT_KEY_USAGE_OIDS: Record<ExtKeyUsage, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', codeSigning: '1.3.6.1.5.5.7.3.3', emailProtection: '1.3.6.1.5.5.7.3.4', timeStamping: '1.3.6.1.5.5.7.3.8', OCSPSigning: '1.3.6.1.5.5.7.3.9',
};

export interface CertificateTemplate {
  /** The subject Name, as DER (copied from a CSR, or built with `subjectName`). */
  subjectDer: Buffer;
  /** SubjectPublicKeyInfo DER. */
  spkiDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  serial?: Buffer;
  isCA?: boolean;
  keyUsage: KeyUsage[];
  extKeyUsage: ExtKeyUsage[];
  dnsNames?: string[];
  ipAddresses?: string[];
  emailAddresses?: string[];
  uris?: string[];
  subjectKeyId?: Buffer;
  authorityKeyId?: Buffer;
}

export interface Issuer {
  subjectDer: Buffer;
  key: KeyObject;
  subjectKeyId?: Buffer;
}

/** A Name from common name and organizations (O before CN, as Go orders them). */
export function subjectName(commonName: string, organizations: string[] = []): Buffer {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(...organizations.map((o) => rdn('2.5.4.10', o)), rdn('2.5.4.3', commonName));
}

function keyUsageBits(usages: KeyUsage[]): Buffer {
  const bits = usages.map((u) => KEY_USAGE_BITS[u]);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)]! |= 0x80 >> b % 8;
  return bitString(bytes, 7 - (highest % 8));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(all.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

const extension = (id: string, critical: boolean, value: Buffer) => sequence(oid(id), ...(critical ? [booleanTrue()] : []), octetString(value));

function signatureAlgorithm(key: KeyObject): { der: Buffer; hash: string | null } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { der: sequence(oid('1.2.840.113549.1.1.11'), nullValue()), hash: 'sha256' };
    case 'ec':
      return { der: sequence(oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
    case 'ed25519':
      return { der: sequence(oid('1.3.101.112')), hash: null };
    default:
      throw new Error(`cannot sign with a ${key.asymmetricKeyType} key`);
  }
}

/** Builds and signs a v3 certificate; returns its DER. */
export function signCertificate(template: CertificateTemplate, issuer: Issuer): Buffer {
  const alg = signatureAlgorithm(issuer.key);
  const sans = [
    ...(template.dnsNames ?? []).map((d) => implicit(2, Buffer.from(d))),
    ...(template.ipAddresses ?? []).map((ip) => implicit(7, ipBytes(ip))),
    ...(template.emailAddresses ?? []).map((e) => implicit(1, Buffer.from(e))),
    ...(template.uris ?? []).map((u) => implicit(6, Buffer.from(u))),
  ];
  const extensions = [
    ...(template.keyUsage.length ? [extension('2.5.29.15', true, keyUsageBits(template.keyUsage))] : []),
    ...(template.extKeyUsage.length ? [extension('2.5.29.37', false, sequence(...template.extKeyUsage.map((u) => oid(EXT_KEY_USAGE_OIDS[u]))))] : []),
    extension('2.5.29.19', true, template.isCA ? sequence(booleanTrue()) : sequence()),
    ...(template.subjectKeyId ? [extension('2.5.29.14', false, octetString(template.subjectKeyId))] : []),
    ...(issuer.subjectKeyId ? [extension('2.5.29.35', false, sequence(implicit(0, issuer.subjectKeyId)))] : []),
    ...(sans.length ? [extension('2.5.29.17', false, sequence(...sans))] : []),
  ];
  const serial = template.serial ?? Buffer.concat([Buffer.from([0x01]), randomBytes(15)]);
  const tbs = sequence(
    explicit(0, tlv(0x02, Buffer.from([2]))),
    unsignedInteger(serial),
    alg.der,
    issuer.subjectDer,
    sequence(time(template.notBefore), time(template.notAfter)),
    template.subjectDer,
    template.spkiDer,
    explicit(3, sequence(...extensions)),
  );
  const signature = cryptoSign(alg.hash, tbs, issuer.key);
  return sequence(tbs, alg.der, bitString(signature));
}

export const toPem = (der: Buffer, label = 'CERTIFICATE') => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;

/** SHA-1 of the subjectPublicKey bits (RFC 5280 key identifier method 1). */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const spki = readRoot(spkiDer);
  const bits = children(spkiDer, spki)[1]!;
  return createHash('sha1').update(contentOf(spkiDer, bits).subarray(1)).digest();
}

/** A CA loaded from PEM files: its subject and key identifier for issuing, its key, its expiry. */
export interface CertificateAuthority extends Issuer {
  certPem: string;
  notAfter: Date;
}

export function loadCertificateAuthority(certPem: string, keyPem: string): CertificateAuthority {
  const cert = new X509Certificate(certPem);
  const der = cert.raw;
  const tbs = children(der, readRoot(der))[0]!;
  const fields = children(der, tbs);
  const offset = fields[0]!.tag === 0xa0 ? 1 : 0;
  const subjectDer = Buffer.from(rawOf(der, fields[offset + 4]!));
  let subjectKeyId: Buffer | undefined;
  const extensionsField = fields.find((f) => f.tag === 0xa3);
  if (extensionsField) {
    for (const ext of children(der, children(der, extensionsField)[0]!)) {
      const parts = children(der, ext);
      if (decodeOid(contentOf(der, parts[0]!)) !== '2.5.29.14') continue;
      const value = contentOf(der, parts.at(-1)!);
      subjectKeyId = Buffer.from(contentOf(value, readRoot(value)));
    }
  }
  const spkiDer = Buffer.from(rawOf(der, fields[offset + 5]!));
  return { certPem, subjectDer, key: createPrivateKey(keyPem), subjectKeyId: subjectKeyId ?? keyIdentifier(spkiDer), notAfter: new Date(cert.validTo) };
}

/**
 * Upstream's in-memory serving cert when none is given (client-go's
 * GenerateSelfSignedCertKey): a self-signed CA `<host>-ca@<unix>` and a serving cert
 * `<host>@<unix>` for the host plus localhost, valid one year. ECDSA P-256 keeps it fast.
 */
export function selfSignedServingCertificate(host: string, now: Date = new Date()): { cert: string; key: string; ca: string } {
  const stamp = Math.floor(now.getTime() / 1000);
  const year = new Date(now.getTime() + 365 * 24 * 3600_000);
  const before = new Date(now.getTime() - 3600_000);
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caSpki = caKeys.publicKey.export({ type: 'spki', format: 'der' });
  const caSubject = subjectName(`${host}-ca@${stamp}`);
  const ca = signCertificate({ subjectDer: caSubject, spkiDer: caSpki, notBefore: before, notAfter: year, isCA: true, keyUsage: ['digitalSignature', 'keyEncipherment', 'keyCertSign'], extKeyUsage: [], subjectKeyId: keyIdentifier(caSpki) }, { subjectDer: caSubject, key: caKeys.privateKey });
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ip = isIP(host) ? [host] : [];
  const cert = signCertificate(
    { subjectDer: subjectName(`${host}@${stamp}`), spkiDer: keys.publicKey.export({ type: 'spki', format: 'der' }), notBefore: before, notAfter: year, keyUsage: ['digitalSignature', 'keyEncipherment'], extKeyUsage: ['serverAuth'], dnsNames: [...(ip.length ? [] : [host]), 'localhost'], ipAddresses: [...ip, '127.0.0.1'] },
    { subjectDer: caSubject, key: caKeys.privateKey, subjectKeyId: keyIdentifier(caSpki) },
  );
  return { cert: toPem(cert) + toPem(ca), key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, ca: toPem(ca) };
}
