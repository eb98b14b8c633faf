/**
 * PEM framing (kubeforge's one PEM encoder and decoder) and the few certificate facts that need
 * no ASN.1 walk (Node's X509Certificate, i.e. OpenSSL's parser), without node-forge: `certs check-expiration`, the agent's expiry
 * metrics and join's discovery load only this, so they start in a few milliseconds.
 */
import { createHash, X509Certificate } from 'node:crypto';

export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
}

/** The DER of every PEM block whose label is one of `labels`, in order. */
export function pemDecode(text: string, labels: readonly string[]): Buffer[] {
  const blocks = text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*)-----END \1-----/g);
  return [...blocks].filter((m) => labels.includes(m[1]!)).map((m) => Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
}

/** A PEM block: base64 in 64-character lines, as Go's pem.Encode writes it. */
export function pemEncode(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** The DER of every CERTIFICATE block in a PEM text. */
export const pemCertificates = (pem: string): Buffer[] => pemDecode(pem, ['CERTIFICATE']);

export const certificatePem = (der: Uint8Array): string => pemEncode('CERTIFICATE', der);

/** The first certificate of a PEM text, parsed by OpenSSL; throws a plain Error when there is none or it is malformed. */
export function firstCertificate(pem: string | Buffer): X509Certificate {
  const der = pemCertificates(pem.toString())[0];
  if (!der) throw new Error('it holds no PEM CERTIFICATE block');
  return new X509Certificate(der);
}

/** kubeadm's discovery pin: `sha256:` + hex SHA-256 of the DER SubjectPublicKeyInfo. */
export function caPublicKeyPin(certPem: string | Buffer): string {
  const spki = firstCertificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The validity of the first certificate in a PEM text; throws a plain Error saying what is wrong. */
export function certificateValidity(pem: string | Buffer): CertificateValidity {
  const x509 = firstCertificate(pem);
  // validFrom/validTo are OpenSSL's "Nov 23 10:00:00 2027 GMT", which Date parses exactly.
  return { notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo), isCA: x509.ca };
}
