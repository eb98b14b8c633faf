import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyMatchesCertificate, loadCertificate, pemCertificates, selfSignedServingCertificate, verifySignedBy } from './index.js';

describe('selfSignedServingCertificate (client-go GenerateSelfSignedCertKey)', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('makes <host>@<unix> signed by its own <host>-ca@<unix>, served as cert then CA', async () => {
    const tls = await selfSignedServingCertificate('node-a', { ips: ['127.0.0.5'] }, now);
    const [leafDer, caDer] = pemCertificates(tls.certPem);
    const leaf = loadCertificate(new X509Certificate(leafDer!).toString());
    const ca = loadCertificate(tls.caPem);
    expect(leaf.subject.commonName).toBe(`node-a@${now.getTime() / 1000}`);
    expect(ca.subject.commonName).toBe(`node-a-ca@${now.getTime() / 1000}`);
    expect(Buffer.compare(caDer!, ca.der)).toBe(0);
    expect(verifySignedBy(leaf, ca)).toBe(true);
    expect(keyMatchesCertificate(tls.keyPem, leaf)).toBe(true);
    expect({ dnsNames: leaf.dnsNames, ips: leaf.ips, usages: leaf.extKeyUsage, isCA: leaf.isCA }).toEqual({ dnsNames: ['node-a'], ips: ['127.0.0.5'], usages: ['serverAuth'], isCA: false });
  });

  it('names an IP host as an IP SAN, adds the extra names once, and is valid one year from five minutes ago', async () => {
    const tls = await selfSignedServingCertificate('127.0.0.1', { dnsNames: ['localhost'], ips: ['127.0.0.1'] }, now);
    const leaf = loadCertificate(tls.certPem);
    expect({ dnsNames: leaf.dnsNames, ips: leaf.ips }).toEqual({ dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    expect(leaf.notBefore).toEqual(new Date('2026-03-01T11:55:00Z'));
    expect(leaf.notAfter).toEqual(new Date('2027-03-01T12:00:00Z'));
  });
});
