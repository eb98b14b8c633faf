/**
 * Upstream's self-signed serving certificate (client-go's GenerateSelfSignedCertKey): a CA
 * `<host>-ca@<unix time>` and a serving certificate `<host>@<unix time>` it signs, for the host
 * (as a DNS name or an IP) and the extra names given, valid one year. The kubelet writes one as
 * kubelet.crt when no tlsCertFile is set; the controller manager and scheduler keep one in
 * memory when no --tls-cert-file is set. ECDSA P-256 keeps it fast.
 */
import { isIP } from 'node:net';
import { buildCertificate } from './build.js';
import { loadCertificate } from './certificate.js';
import { validityWindow } from './issue.js';
import { encodePrivateKeyPem, generatePrivateKey } from './keys.js';

const VALIDITY_MS = 365 * 24 * 3600_000;

export interface SelfSignedServingCertificate {
  /** The serving certificate followed by its CA, as upstream writes them. */
  certPem: string;
  keyPem: string;
  caPem: string;
}

export async function selfSignedServingCertificate(
  host: string,
  extra: { dnsNames?: string[]; ips?: string[] },
  now: Date,
): Promise<SelfSignedServingCertificate> {
  const stamp = Math.floor(now.getTime() / 1000);
  const validity = validityWindow(now, VALIDITY_MS);
  const [caKey, key] = await Promise.all([generatePrivateKey('ECDSA-P256'), generatePrivateKey('ECDSA-P256')]);
  const caPem = buildCertificate(
    { subject: { commonName: `${host}-ca@${stamp}`, organizations: [] }, altNames: { dnsNames: [], ips: [] }, usages: [], isCA: true, ...validity },
    caKey,
    { key: caKey },
  );
  const hostIsIP = isIP(host) !== 0;
  const dnsNames = [...new Set([...(hostIsIP ? [] : [host]), ...(extra.dnsNames ?? [])])];
  const ips = [...new Set([...(hostIsIP ? [host] : []), ...(extra.ips ?? [])])];
  const certPem = buildCertificate(
    { subject: { commonName: `${host}@${stamp}`, organizations: [] }, altNames: { dnsNames, ips }, usages: ['serverAuth'], isCA: false, keyUsage: ['digitalSignature', 'keyEncipherment'], ...validity },
    key,
    { key: caKey, certificate: loadCertificate(caPem) },
  );
  return { certPem: certPem + caPem, keyPem: encodePrivateKeyPem(key), caPem };
}
