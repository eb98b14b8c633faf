/**
 * The cluster the security tests attack (issue 11), through the built CLI (`npm run build`
 * first): `kubeforge init` of cp1 on one loopback address, `kubeforge join` of worker w1 on
 * another (its agent obtains its client certificate by TLS bootstrap: that real
 * kubelet-client-current.pem is NODE), and two users made with `kubeforge kubeconfig user`:
 * bob (RoleBinding to ClusterRole admin in rt-dev) and jane (may only create RoleBindings in
 * rt-dev). `request` sends one raw HTTPS request as any of them, so a test can send exactly
 * the attack's bytes; `kubectl` runs the real kubectl with a user's kubeconfig.
 */
import https from 'node:https';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, expect } from 'vitest';
import { kubeforge, resetRoots, tempRoot, tool, type CliResult } from './cli.js';

export type Identity = 'admin' | 'node' | 'bob' | 'jane' | { cert: string; key: string } | { token: string };

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface SecurityCluster {
  readonly cpRoot: string;
  readonly w1Root: string;
  readonly server: string;
  /** Kubeconfig files by user (admin is init's admin.conf). */
  readonly kubeconfigs: Record<'admin' | 'bob' | 'jane', string>;
  request(who: Identity, method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  kubectl(who: 'admin' | 'bob' | 'jane', args: string[]): Promise<CliResult>;
  /** A client certificate for any subject, signed by the cluster CA (openssl). */
  clientCert(subject: string): Promise<{ cert: string; key: string }>;
  stop(): Promise<Record<string, number[]>>;
}

const configFor = (ip: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${ip}
nodeRegistration:
  name: cp1
`;

interface Credentials {
  cert: string;
  key: string;
}

function userCredentials(kubeconfigText: string): Credentials {
  const doc = yaml.load(kubeconfigText) as { users: Array<{ user: Record<string, string> }> };
  const user = doc.users[0]!.user;
  const decode = (field: string) => Buffer.from(user[field] ?? '', 'base64').toString('utf8');
  return { cert: decode('client-certificate-data'), key: decode('client-key-data') };
}

const RT_DEV = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rt-dev' } },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'bob-admin', namespace: 'rt-dev' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'rolebinding-creator', namespace: 'rt-dev' },
    rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'jane-rolebinding-creator', namespace: 'rt-dev' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rolebinding-creator' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'jane' }],
  },
];

/** init cp1 on `cpIp`, join w1 on `w1Ip`, make bob and jane. Throws with the CLI's output on failure. */
export async function startSecurityCluster(cpIp: string, w1Ip: string): Promise<SecurityCluster> {
  const cleanups: Array<() => Promise<void>> = [];
  const roots: string[] = [];
  const newRoot = async (prefix: string) => {
    const { dir, cleanup } = await tempRoot(prefix);
    roots.push(dir);
    cleanups.push(cleanup);
    return dir;
  };
  const stop = async () => {
    const leftovers = await resetRoots(roots);
    for (const cleanup of cleanups) await cleanup();
    return leftovers;
  };
  try {
    const cpRoot = await newRoot('kf-sec-cp-');
    const config = `${cpRoot}.yaml`;
    await writeFile(config, configFor(cpIp));
    cleanups.push(() => rm(config, { force: true }));
    const init = await kubeforge(['init', '--root', cpRoot, '--config', config, '--ignore-preflight-errors=all']);
    if (init.exitCode !== 0) throw new Error(`init failed: ${init.stderr}`);
    const printed = init.stdout.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
    if (!printed) throw new Error(`no join command in: ${init.stdout}`);
    const w1Root = await newRoot('kf-sec-w1-');
    const joined = await kubeforge([...printed[1]!.split(/\s+/), ...printed[2]!.split(/\s+/), '--root', w1Root, '--node-name', 'w1', '--node-ip', w1Ip, '--ignore-preflight-errors', 'all']);
    if (joined.exitCode !== 0) throw new Error(`join failed: ${joined.stderr}`);

    const ca = await readFile(path.join(cpRoot, 'etc/kubernetes/pki/ca.crt'), 'utf8');
    const adminConf = path.join(cpRoot, 'etc/kubernetes/admin.conf');
    const admin = userCredentials(await readFile(adminConf, 'utf8'));
    const nodePem = await readFile(path.join(w1Root, 'var/lib/kubelet/pki/kubelet-client-current.pem'), 'utf8');
    const node = { cert: nodePem, key: nodePem };
    const users: Record<string, Credentials> = { admin, node };
    const kubeconfigs = { admin: adminConf, bob: '', jane: '' } as Record<'admin' | 'bob' | 'jane', string>;
    for (const name of ['bob', 'jane'] as const) {
      const made = await kubeforge(['kubeconfig', 'user', '--root', cpRoot, '--client-name', name]);
      if (made.exitCode !== 0) throw new Error(`kubeconfig user ${name} failed: ${made.stderr}`);
      kubeconfigs[name] = path.join(cpRoot, `${name}.conf`);
      await writeFile(kubeconfigs[name], made.stdout, { mode: 0o600 });
      users[name] = userCredentials(made.stdout);
    }
    const server = `https://${cpIp}:6443`;
    const request = (who: Identity, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) =>
      new Promise<ApiResponse>((resolve, reject) => {
        const auth = typeof who === 'string' ? users[who]! : who;
        const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
        const req = https.request(
          `${server}${urlPath}`,
          {
            method,
            ca,
            ...('cert' in auth ? { cert: auth.cert, key: auth.key } : {}),
            headers: {
              Accept: 'application/json',
              ...(payload !== undefined ? { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}),
              ...('token' in auth ? { Authorization: `Bearer ${auth.token}` } : {}),
              ...headers,
            },
            timeout: 30_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown;
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = undefined;
              }
              resolve({ status: res.statusCode ?? 0, body: parsed, text });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
        req.on('error', reject);
        req.end(payload);
      });
    const kubectl = (who: 'admin' | 'bob' | 'jane', args: string[]) => tool('kubectl', ['--kubeconfig', kubeconfigs[who], ...args]);
    for (const object of RT_DEV) {
      const applied = await tool('kubectl', ['--kubeconfig', adminConf, 'create', '-f', '-'], JSON.stringify(object));
      if (applied.exitCode !== 0) throw new Error(`creating ${object.kind} ${object.metadata.name}: ${applied.stderr}`);
    }
    const clientCert = async (subject: string) => {
      const pki = path.join(cpRoot, 'etc/kubernetes/pki');
      const base = path.join(cpRoot, `client-${roots.length}-${Date.now()}`);
      const csr = await tool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subject]);
      if (csr.exitCode !== 0) throw new Error(csr.stderr);
      await writeFile(`${base}.ext`, 'extendedKeyUsage=clientAuth\n');
      const signed = await tool('openssl', ['x509', '-req', '-in', `${base}.csr`, '-CA', `${pki}/ca.crt`, '-CAkey', `${pki}/ca.key`, '-CAcreateserial', '-out', `${base}.crt`, '-days', '1', '-extfile', `${base}.ext`]);
      if (signed.exitCode !== 0) throw new Error(signed.stderr);
      return { cert: await readFile(`${base}.crt`, 'utf8'), key: await readFile(`${base}.key`, 'utf8') };
    };
    return { cpRoot, w1Root, server, kubeconfigs, request, kubectl, clientCert, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One security cluster for a test file: started before its tests, reset after them (failing
 * the file when anything is left running). The returned object forwards to it once started.
 */
export function useSecurityCluster(cpIp: string, w1Ip: string): Omit<SecurityCluster, 'stop'> {
  let cluster: SecurityCluster | undefined;
  beforeAll(async () => {
    cluster = await startSecurityCluster(cpIp, w1Ip);
  }, 240_000);
  afterAll(async () => {
    expect((await cluster?.stop()) ?? {}).toEqual({});
  }, 120_000);
  const current = () => {
    if (!cluster) throw new Error('the security cluster is not started yet');
    return cluster;
  };
  return {
    get cpRoot() { return current().cpRoot; },
    get w1Root() { return current().w1Root; },
    get server() { return current().server; },
    get kubeconfigs() { return current().kubeconfigs; },
    request: (...args) => current().request(...args),
    kubectl: (...args) => current().kubectl(...args),
    clientCert: (subject) => current().clientCert(subject),
  };
}
