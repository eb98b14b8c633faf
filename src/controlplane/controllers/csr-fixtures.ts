/**
 * Test fixtures: real PKCS#10 requests made by openssl (so the parser is checked against an
 * independent encoder), and CSR objects around them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CertificateSigningRequest } from './csr.js';
import { KUBELET_CLIENT_SIGNER } from './csr.js';

export interface OpensslKeys {
  dir: string;
  ec: string;
  rsa: string;
  cleanup(): void;
}

/** An ECDSA P-256 and an RSA-2048 key in a temp dir. */
export function opensslKeys(): OpensslKeys {
  const dir = mkdtempSync(path.join(tmpdir(), 'kf-csr-'));
  const ec = path.join(dir, 'ec.key');
  const rsa = path.join(dir, 'rsa.key');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ec]);
  execFileSync('openssl', ['genrsa', '-out', rsa, '2048'], { stdio: 'ignore' });
  return { dir, ec, rsa, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `openssl req -new` with the subject (`/O=system:nodes/CN=system:node:w1`) and optional SANs. */
export function opensslCSR(keyFile: string, subject: string, subjectAltName?: string): string {
  const args = ['req', '-new', '-key', keyFile, '-subj', subject];
  if (subjectAltName) args.push('-addext', `subjectAltName=${subjectAltName}`);
  return execFileSync('openssl', args, { encoding: 'utf8' });
}

export function csrObject(pem: string, overrides: Partial<CertificateSigningRequest['spec']> = {}, name = 'csr-1'): CertificateSigningRequest {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: KUBELET_CLIENT_SIGNER,
      usages: ['digital signature', 'client auth'],
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'],
      ...overrides,
    },
  };
}

export function writeFixture(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
