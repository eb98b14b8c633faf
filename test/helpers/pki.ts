/**
 * A throwaway PKI for API-server tests, made with the openssl CLI. Everything the tests need
 * sits behind makeTestPki(dir) so the harness can later switch to src/pki.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: KeyPair;
  apiserver: KeyPair;
  admin: KeyPair;
  etcdCa: KeyPair;
  etcdServer: KeyPair;
  etcdClient: KeyPair;
  /** A CA the API server does not trust, for rejection tests. */
  otherCa: KeyPair;
  /** kubeadm's service-account key pair: sa.key (RSA private) and sa.pub. */
  serviceAccount: { key: string; pub: string };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string, cn: string): Promise<KeyPair> {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  await run('openssl', ['req', '-x509', ...EC, '-keyout', pair.key, '-out', pair.cert, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,digitalSignature']);
  return pair;
}

export interface LeafOptions {
  cn: string;
  orgs?: string[];
  sans?: string[];
  usage: 'serverAuth' | 'clientAuth' | 'serverAuth,clientAuth';
  /** 0 makes a certificate that expires the second it is made. */
  days?: number;
}

/** Issues a leaf certificate signed by `ca` into `<dir>/<name>.{crt,key}`. */
export async function issueCert(dir: string, ca: KeyPair, name: string, options: LeafOptions): Promise<KeyPair> {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  const subject = `/CN=${options.cn}${(options.orgs ?? []).map((o) => `/O=${o}`).join('')}`;
  await run('openssl', ['req', '-new', ...EC, '-keyout', pair.key, '-out', csr, '-subj', subject]);
  const lines = ['keyUsage=critical,digitalSignature', `extendedKeyUsage=${options.usage}`];
  if (options.sans?.length) lines.push(`subjectAltName=${options.sans.join(',')}`);
  await writeFile(ext, `${lines.join('\n')}\n`);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(12).toString('hex')}`, // a random serial: parallel issuance must not share a .srl file
     '-out', pair.cert, '-days', String(options.days ?? 2), '-extfile', ext]);
  return pair;
}

async function makeServiceAccountKeys(dir: string): Promise<{ key: string; pub: string }> {
  const pair = { key: path.join(dir, 'sa.key'), pub: path.join(dir, 'sa.pub') };
  await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', pair.key]);
  await run('openssl', ['pkey', '-in', pair.key, '-pubout', '-out', pair.pub]);
  return pair;
}

export async function makeTestPki(dir: string): Promise<TestPki> {
  const [ca, etcdCa, otherCa] = await Promise.all([makeCa(dir, 'ca', 'kubernetes'), makeCa(dir, 'etcd-ca', 'etcd-ca'), makeCa(dir, 'other-ca', 'other-ca')]);
  const local = ['IP:127.0.0.1', 'DNS:localhost'];
  const [apiserver, admin, etcdServer, etcdClient, serviceAccount] = await Promise.all([
    issueCert(dir, ca, 'apiserver', { cn: 'kube-apiserver', sans: [...local, 'DNS:kubernetes', 'DNS:kubernetes.default'], usage: 'serverAuth' }),
    issueCert(dir, ca, 'admin', { cn: 'kubernetes-admin', orgs: ['system:masters'], usage: 'clientAuth' }),
    issueCert(dir, etcdCa, 'etcd-server', { cn: 'etcd', sans: local, usage: 'serverAuth,clientAuth' }),
    issueCert(dir, etcdCa, 'apiserver-etcd-client', { cn: 'kube-apiserver-etcd-client', usage: 'clientAuth' }),
    makeServiceAccountKeys(dir),
  ]);
  return { dir, ca, apiserver, admin, etcdCa, etcdServer, etcdClient, otherCa, serviceAccount };
}
