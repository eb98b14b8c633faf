import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncryptionAlgorithm, InitConfig } from '../../src/config/types.js';
import { createHost, type Host } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { certificatePaths, certificateTable, ensureCertificates, ensureServiceAccountKeys, loadCertificate } from '../../src/pki/index.js';
import { openssl, testInitConfig } from '../helpers/pki-config.js';

const EKU_TEXT: Record<string, string> = { serverAuth: 'TLS Web Server Authentication', clientAuth: 'TLS Web Client Authentication' };

/** What `openssl x509 -text` must show for each row under the test configuration. */
const EXPECTED: Record<string, { subject: string; san?: string }> = {
  ca: { subject: 'CN = kubernetes', san: 'DNS:kubernetes' },
  apiserver: {
    subject: 'CN = kube-apiserver',
    san: 'DNS:api.example.test, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, DNS:node-a, DNS:san.example.test, IP Address:10.96.0.1, IP Address:127.0.0.2, IP Address:10.0.0.9',
  },
  'apiserver-kubelet-client': { subject: 'O = kubeadm:cluster-admins, CN = kube-apiserver-kubelet-client' },
  'front-proxy-ca': { subject: 'CN = front-proxy-ca', san: 'DNS:front-proxy-ca' },
  'front-proxy-client': { subject: 'CN = front-proxy-client' },
  'etcd-ca': { subject: 'CN = etcd-ca', san: 'DNS:etcd-ca' },
  'etcd-server': { subject: 'CN = node-a', san: 'DNS:etcd.example.test, DNS:localhost, DNS:node-a, IP Address:127.0.0.2, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' },
  'etcd-peer': { subject: 'CN = node-a', san: 'DNS:localhost, DNS:node-a, IP Address:127.0.0.2, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.7' },
  'etcd-healthcheck-client': { subject: 'CN = kube-etcd-healthcheck-client' },
  'apiserver-etcd-client': { subject: 'CN = kube-apiserver-etcd-client' },
};

function configFor(algorithm: EncryptionAlgorithm): InitConfig {
  const cfg = testInitConfig(algorithm);
  cfg.cluster.controlPlaneEndpoint = 'api.example.test:6443';
  cfg.cluster.apiServer.certSANs = ['san.example.test', '10.0.0.9', 'not a name!'];
  cfg.cluster.etcd.local!.serverCertSANs = ['etcd.example.test'];
  cfg.cluster.etcd.local!.peerCertSANs = ['10.0.0.7'];
  return cfg;
}

describe.each(['RSA-2048', 'ECDSA-P256'] as const)('the full kubeadm certificate set with %s', (algorithm) => {
  let root: string;
  let host: Host;
  const cfg = configFor(algorithm);
  const log = createMemoryLogger();

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'kf-pki-table-'));
    host = createHost(root);
    await Promise.all([ensureCertificates(host, cfg, log), ensureServiceAccountKeys(host, cfg, log)]);
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it.each(certificateTable.map((spec) => [spec.name, spec] as const))('writes %s with kubeadm subject, usages and SANs', async (_name, spec) => {
    const paths = certificatePaths(cfg, spec);
    const text = await openssl(host, ['x509', '-in', host.files.resolve(paths.cert), '-noout', '-text']);
    const expected = EXPECTED[spec.name]!;
    expect(text).toContain(`Subject: ${expected.subject}\n`);
    if (expected.san) expect(text).toMatch(new RegExp(`Subject Alternative Name: \\n\\s+${expected.san.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    else expect(text).not.toContain('Subject Alternative Name');
    expect(text).toMatch(/X509v3 Key Usage: critical\n/);
    if (spec.isCA) {
      expect(text).toMatch(/Basic Constraints: critical\n\s+CA:TRUE/);
      expect(text).toMatch(/Key Usage: critical\n\s+Digital Signature, Key Encipherment, Certificate Sign\n/);
      expect(text).toContain('X509v3 Subject Key Identifier');
      expect(text).toContain(`Issuer: ${expected.subject}\n`);
    } else {
      expect(text).toMatch(/Basic Constraints: critical\n\s+CA:FALSE/);
      const keyUsage = algorithm === 'ECDSA-P256' ? 'Digital Signature' : 'Digital Signature, Key Encipherment';
      expect(text).toMatch(new RegExp(`Key Usage: critical\\n\\s+${keyUsage}\\n`));
      expect(text).toMatch(new RegExp(`Extended Key Usage: \\n\\s+${spec.usages.map((u) => EKU_TEXT[u]).join(', ')}\\n`));
      expect(text).toContain('X509v3 Authority Key Identifier');
    }
    expect(text).toContain(algorithm === 'ECDSA-P256' ? 'Signature Algorithm: ecdsa-with-SHA256' : 'Signature Algorithm: sha256WithRSAEncryption');
  });

  it.each(certificateTable.filter((s) => !s.isCA).map((spec) => [spec.name, spec] as const))('%s passes openssl verify against its CA', async (_name, spec) => {
    const ca = certificateTable.find((row) => row.name === spec.caName)!;
    const purpose = spec.usages.includes('serverAuth') ? ['-purpose', 'sslserver'] : ['-purpose', 'sslclient'];
    const out = await openssl(host, ['verify', ...purpose, '-CAfile', host.files.resolve(certificatePaths(cfg, ca).cert), host.files.resolve(certificatePaths(cfg, spec).cert)]);
    expect(out.trim()).toBe(`${host.files.resolve(certificatePaths(cfg, spec).cert)}: OK`);
  });

  it('writes keys 0600 in the PEM kind kubeadm writes, and certificates 0644', async () => {
    const header = algorithm === 'ECDSA-P256' ? '-----BEGIN EC PRIVATE KEY-----' : '-----BEGIN RSA PRIVATE KEY-----';
    for (const spec of certificateTable) {
      const paths = certificatePaths(cfg, spec);
      expect((await host.files.stat(paths.key))?.mode).toBe(0o600);
      expect((await host.files.stat(paths.cert))?.mode).toBe(0o644);
      expect((await host.files.readFile(paths.key)).toString()).toMatch(new RegExp(`^${header}\\n`));
    }
    expect((await host.files.stat('/etc/kubernetes/pki/sa.key'))?.mode).toBe(0o600);
    expect((await host.files.readFile('/etc/kubernetes/pki/sa.pub')).toString()).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('sets validity from the config periods, back-dated five minutes', async () => {
    const ca = loadCertificate(await host.files.readFile('/etc/kubernetes/pki/ca.crt'));
    const leaf = loadCertificate(await host.files.readFile('/etc/kubernetes/pki/apiserver.crt'));
    const hours = (c: typeof ca) => (c.notAfter.getTime() - c.notBefore.getTime() - 5 * 60_000) / 3_600_000;
    expect(Math.round(hours(ca))).toBe(87600);
    expect(Math.round(hours(leaf))).toBe(8760);
    expect(Date.now() - leaf.notBefore.getTime()).toBeGreaterThan(4 * 60_000);
    expect(leaf.serialNumber.length).toBeGreaterThanOrEqual(16);
  });

  it('logs like kubeadm, in table order', () => {
    const certLines = log.lines.filter((l) => l.startsWith('[certs]') && !l.includes('"sa"'));
    expect(certLines).toEqual([
      '[certs] Generating "ca" certificate and key',
      '[certs] Generating "apiserver" certificate and key',
      '[certs] apiserver serving cert is signed for DNS names [api.example.test kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local node-a san.example.test] and IPs [10.96.0.1 127.0.0.2 10.0.0.9]',
      '[certs] Generating "apiserver-kubelet-client" certificate and key',
      '[certs] Generating "front-proxy-ca" certificate and key',
      '[certs] Generating "front-proxy-client" certificate and key',
      '[certs] Generating "etcd/ca" certificate and key',
      '[certs] Generating "etcd/server" certificate and key',
      '[certs] etcd/server serving cert is signed for DNS names [etcd.example.test localhost node-a] and IPs [127.0.0.2 127.0.0.1 ::1]',
      '[certs] Generating "etcd/peer" certificate and key',
      '[certs] etcd/peer serving cert is signed for DNS names [localhost node-a] and IPs [127.0.0.2 127.0.0.1 ::1 10.0.0.7]',
      '[certs] Generating "etcd/healthcheck-client" certificate and key',
      '[certs] Generating "apiserver-etcd-client" certificate and key',
    ]);
    expect(log.lines).toContain('[certs] Generating "sa" key and public key');
    expect(log.lines).toContain("[WARNING] [certificates] WARNING: 'not a name!' was not added to the 'apiserver' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry");
  });
});
