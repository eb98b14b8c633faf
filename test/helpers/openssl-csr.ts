/**
 * Test fixtures: real PKCS#10 requests made by openssl (so the parser is checked against an
 * independent encoder), and CSR objects around them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CertificateSigningRequest } from '../../src/controlplane/controllers/csr.js';
import { KUBELET_CLIENT_SIGNER } from '../../src/controlplane/controllers/csr.js';

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

/** A CA made by openssl (CN=kubernetes, like kubeadm's) of the given key type, valid `days`. */
export function opensslCA(dir: string, type: 'rsa' | 'ec', days = 3650): { cert: string; key: string; certFile: string; keyFile: string } {
  const keyFile = path.join(dir, `ca-${type}.key`);
  const certFile = path.join(dir, `ca-${type}.crt`);
  if (type === 'rsa') execFileSync('openssl', ['genrsa', '-out', keyFile, '2048'], { stdio: 'ignore' });
  else execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=kubernetes', '-days', String(days), '-out', certFile,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign']);
  return { cert: execFileSync('cat', [certFile], { encoding: 'utf8' }), key: execFileSync('cat', [keyFile], { encoding: 'utf8' }), certFile, keyFile };
}

/** `openssl verify` of a PEM certificate against a CA file: its output, or the error text. */
export function opensslVerify(dir: string, caFile: string, certPem: string, purpose?: string): string {
  const file = writeFixture(dir, `leaf-${Math.random().toString(36).slice(2)}.crt`, certPem);
  try {
    return execFileSync('openssl', ['verify', '-CAfile', caFile, ...(purpose ? ['-purpose', purpose] : []), file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return String((err as { stdout?: string; stderr?: string }).stdout ?? '') + String((err as { stderr?: string }).stderr ?? '');
  }
}

export function opensslText(dir: string, certPem: string): string {
  const file = writeFixture(dir, `text-${Math.random().toString(36).slice(2)}.crt`, certPem);
  return execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
}
