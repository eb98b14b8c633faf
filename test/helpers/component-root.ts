/** Test support: a node root with kubeadm-shaped kubeconfigs and a CA, and a free port. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selfSignedServingCertificate } from '../../src/pki/index.js';

export interface NodeRoot {
  root: string;
  caPem: string;
  cleanup(): void;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function kubeconfigText(server: string, material: { ca: string; cert: string; key: string }, user = 'system:kube-controller-manager'): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(material.ca)}`,
    `    server: ${server}`,
    '  name: kubernetes',
    'contexts:',
    '- context:',
    '    cluster: kubernetes',
    `    user: ${user}`,
    `  name: ${user}@kubernetes`,
    `current-context: ${user}@kubernetes`,
    'kind: Config',
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(material.cert)}`,
    `    client-key-data: ${b64(material.key)}`,
    '',
  ].join('\n');
}

/** A temp root holding /etc/kubernetes/{controller-manager,scheduler}.conf and pki/ca.{crt,key}. */
export async function nodeRoot(): Promise<NodeRoot> {
  const root = mkdtempSync(path.join(tmpdir(), 'kf-cp-'));
  const dir = path.join(root, 'etc/kubernetes');
  mkdirSync(path.join(dir, 'pki'), { recursive: true });
  const serving = await selfSignedServingCertificate('kubernetes', { dnsNames: ['localhost'], ips: ['127.0.0.1'] }, new Date());
  const material = { ca: serving.caPem, cert: serving.certPem, key: serving.keyPem };
  const caCert = material.ca;
  writeFileSync(path.join(dir, 'controller-manager.conf'), kubeconfigText('https://127.0.0.2:6443', material));
  writeFileSync(path.join(dir, 'scheduler.conf'), kubeconfigText('https://127.0.0.2:6443', material, 'system:kube-scheduler'));
  writeFileSync(path.join(dir, 'pki/ca.crt'), caCert);
  return { root, caPem: caCert, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET over HTTPS; verifies against `ca` when given (as `localhost`), else accepts any cert. */
export function httpsGet(host: string, port: number, path: string, ca?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; cert: { subject?: { CN?: string } } }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path, ca, headers, agent: false, rejectUnauthorized: Boolean(ca), servername: ca ? 'localhost' : undefined }, (res) => {
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate() as { subject?: { CN?: string } };
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), cert }));
    });
    req.on('error', reject);
  });
}

