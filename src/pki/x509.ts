/**
 * A fast, native read of the few certificate facts expiry checks need (Node's X509Certificate,
 * i.e. OpenSSL's parser), without node-forge: `certs check-expiration` and the agent's expiry
 * metrics load only this, so they start in a few milliseconds.
 */
import { X509Certificate } from 'node:crypto';

export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/** The validity of the first certificate in a PEM text; throws a plain Error saying what is wrong. */
export function certificateValidity(pem: string | Buffer): CertificateValidity {
  const body = PEM_BLOCK.exec(pem.toString())?.[1];
  if (!body) throw new Error('it holds no PEM CERTIFICATE block');
  const x509 = new X509Certificate(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
  // validFrom/validTo are OpenSSL's "Nov 23 10:00:00 2027 GMT", which Date parses exactly.
  return { notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo), isCA: x509.ca };
}
