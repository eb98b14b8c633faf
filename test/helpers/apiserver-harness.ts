/**
 * Starts a real etcd (TLS, free ports, temp dir) and the bundled API server against it,
 * writes an admin kubeconfig, and drives the real kubectl and etcdctl. Tears everything
 * down by pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKubeApiserver, type RunningApiServer } from '../../src/controlplane/apiserver/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { issueCert, makeTestPki, type KeyPair, type LeafOptions, type TestPki } from './pki.js';

import { freePort } from './net.js';

export { freePort };

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface RunningEtcd {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts the stopped member again: same name, ports and data directory. */
  restart(): Promise<void>;
  /** SIGSTOP: the member keeps its connections open and answers nothing until resume(). */
  freeze(): void;
  resume(): void;
}

/** Polls `check`; an error counts as "not yet" (a server still starting), and the last one is reported on timeout. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : ''}`, { cause: lastError });
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
}

function spawnEtcd(dir: string, pki: TestPki, member: EtcdMember, initialCluster: EtcdMember[]): { running: RunningEtcd; stderr: () => string } {
  const endpoint = `https://127.0.0.1:${member.clientPort}`;
  const peer = (m: EtcdMember) => `http://127.0.0.1:${m.peerPort}`;
  const launch = () => spawn('/usr/bin/etcd', [
    `--name=${member.name}`, `--data-dir=${path.join(dir, `${member.name}-data`)}`,
    `--listen-client-urls=${endpoint}`, `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peer(member)}`, `--initial-advertise-peer-urls=${peer(member)}`,
    `--initial-cluster=${initialCluster.map((m) => `${m.name}=${peer(m)}`).join(',')}`, '--initial-cluster-state=new',
    `--cert-file=${pki.etcdServer.cert}`, `--key-file=${pki.etcdServer.key}`, `--trusted-ca-file=${pki.etcdCa.cert}`, '--client-cert-auth=true',
    '--log-level=error', '--logger=zap',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let child = launch();
  let stderr = '';
  const capture = () => child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  capture();
  const running: RunningEtcd = {
    endpoint,
    get pid() {
      return child.pid as number;
    },
    stop: () => stopChild(child),
    kill: () => stopChild(child, 'SIGKILL'),
    restart: async () => {
      await stopChild(child);
      child = launch();
      capture();
      await waitFor(async () => (await etcdctl(pki, endpoint, ['endpoint', 'health'])).code === 0, `etcd on ${endpoint} after a restart`);
    },
    freeze: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  };
  return { running, stderr: () => stderr };
}

async function waitHealthy(pki: TestPki, started: Array<{ running: RunningEtcd; stderr: () => string }>): Promise<RunningEtcd[]> {
  try {
    await Promise.all(started.map(({ running }) => waitFor(async () => (await etcdctl(pki, running.endpoint, ['endpoint', 'health'])).code === 0, `etcd on ${running.endpoint}`)));
  } catch (err) {
    await Promise.all(started.map(({ running }) => running.stop()));
    throw new Error(`${(err as Error).message}\n${started.map((s) => s.stderr()).join('\n')}`);
  }
  return started.map((s) => s.running);
}

/**
 * Starts etcd members on newly picked ports, and again on other ports when one lost a port race:
 * a port freePort found free can be bound (or used as an outgoing connection's source port) by
 * another test before etcd binds it.
 */
async function startMembers(dir: string, pki: TestPki, names: string[]): Promise<RunningEtcd[]> {
  for (let attempt = 1; ; attempt++) {
    const members: EtcdMember[] = [];
    for (const name of names) members.push({ name, clientPort: await freePort(), peerPort: await freePort() });
    try {
      return await waitHealthy(pki, members.map((m) => spawnEtcd(dir, pki, m, members)));
    } catch (err) {
      if (attempt >= 3 || !(err as Error).message.includes('address already in use')) throw err;
      for (const m of members) await rm(path.join(dir, `${m.name}-data`), { recursive: true, force: true });
    }
  }
}

export async function startEtcd(dir: string, pki: TestPki, name = 'etcd'): Promise<RunningEtcd> {
  const [running] = await startMembers(dir, pki, [name]);
  return running as RunningEtcd;
}

/** A real etcd cluster of `size` members on 127.0.0.1 (TLS for clients, plain HTTP between peers). */
export function startEtcdCluster(dir: string, pki: TestPki, size: number): Promise<RunningEtcd[]> {
  return startMembers(dir, pki, Array.from({ length: size }, (_, i) => `member-${i}`));
}

export function etcdctl(pki: TestPki, endpoint: string, args: string[]): Promise<RunResult> {
  return runCommand('etcdctl', [`--endpoints=${endpoint}`, `--cacert=${pki.etcdCa.cert}`, `--cert=${pki.etcdClient.cert}`, `--key=${pki.etcdClient.key}`, ...args], { env: { ETCDCTL_API: '3' } });
}

export function kubeconfigYaml(server: string, caFile: string, user: KeyPair, name = 'kubernetes-admin'): string {
  return [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- cluster:', `    certificate-authority: ${caFile}`, `    server: ${server}`, '  name: kubernetes',
    'contexts:', '- context:', '    cluster: kubernetes', `    user: ${name}`, `  name: ${name}@kubernetes`,
    `current-context: ${name}@kubernetes`,
    'users:', `- name: ${name}`, '  user:', `    client-certificate: ${user.cert}`, `    client-key: ${user.key}`, '',
  ].join('\n');
}

/** kubeadm's default --service-account-issuer. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function apiServerArgs(pki: TestPki, etcdEndpoints: string[], port: number, extra: string[] = []): string[] {
  return [
    '--advertise-address=127.0.0.1', '--bind-address=127.0.0.1', `--secure-port=${port}`,
    `--tls-cert-file=${pki.apiserver.cert}`, `--tls-private-key-file=${pki.apiserver.key}`, `--client-ca-file=${pki.ca.cert}`,
    `--etcd-servers=${etcdEndpoints.join(',')}`, `--etcd-cafile=${pki.etcdCa.cert}`, `--etcd-certfile=${pki.etcdClient.cert}`, `--etcd-keyfile=${pki.etcdClient.key}`,
    `--service-account-key-file=${pki.serviceAccount.pub}`, `--service-account-signing-key-file=${pki.serviceAccount.key}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--enable-bootstrap-token-auth=true',
    '--allow-privileged=true', '--service-cluster-ip-range=10.96.0.0/12',
    ...extra,
  ];
}

export interface TestCluster {
  dir: string;
  pki: TestPki;
  etcd: RunningEtcd;
  apiserver: RunningApiServer;
  url: string;
  kubeconfig: string;
  kubectl(args: string[], options?: { input?: string; kubeconfig?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  etcdctl(args: string[]): Promise<RunResult>;
  /** A client cert signed by the cluster CA (or another CA) and a kubeconfig using it. */
  userKubeconfig(name: string, options: Omit<LeafOptions, 'usage'> & { otherCa?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestCluster(options: { extraArgs?: string[]; bookmarkIntervalMs?: number } = {}): Promise<TestCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-apiserver-'));
  const pki = await makeTestPki(dir);
  const etcd = await startEtcd(dir, pki);
  const port = await freePort();
  let apiserver: RunningApiServer;
  try {
    apiserver = await runKubeApiserver(apiServerArgs(pki, [etcd.endpoint], port, options.extraArgs), {
      logger: createMemoryLogger(),
      ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    });
    await apiserver.ready;
  } catch (err) {
    // An API server that does not start (bad flags in a test) must not leave its etcd behind.
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = path.join(dir, 'admin.conf');
  await writeFile(kubeconfig, kubeconfigYaml(url, pki.ca.cert, pki.admin));
  return {
    dir, pki, etcd, apiserver, url, kubeconfig,
    kubectl: (args, o = {}) => runCommand('kubectl', ['--kubeconfig', o.kubeconfig ?? kubeconfig, ...args], { ...(o.input !== undefined ? { input: o.input } : {}), env: { HOME: dir, ...o.env } }),
    etcdctl: (args) => etcdctl(pki, etcd.endpoint, args),
    userKubeconfig: async (name, leaf) => {
      const pair = await issueCert(dir, leaf.otherCa ? pki.otherCa : pki.ca, name, { ...leaf, usage: 'clientAuth' });
      const file = path.join(dir, `${name}.conf`);
      await writeFile(file, kubeconfigYaml(url, pki.ca.cert, pair, name));
      return file;
    },
    stop: async () => {
      await apiserver.close();
      await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export { readFile };

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface ApiRequest {
  method?: string;
  body?: unknown;
  /** Sent as-is when a string or Buffer, JSON-encoded otherwise. */
  contentType?: string;
  /** A client certificate; defaults to none (anonymous or token). */
  client?: KeyPair;
  token?: string;
  accept?: string;
}

/** One HTTPS request to the API server, trusting the test CA. */
export async function apiRequest(baseUrl: string, pki: TestPki, path: string, request: ApiRequest = {}): Promise<ApiResponse> {
  const https = await import('node:https');
  const [ca, cert, key] = await Promise.all([
    readFile(pki.ca.cert),
    request.client ? readFile(request.client.cert) : undefined,
    request.client ? readFile(request.client.key) : undefined,
  ]);
  const payload = request.body === undefined ? undefined : typeof request.body === 'string' || Buffer.isBuffer(request.body) ? request.body : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    const base = new URL(baseUrl);
    // The path goes out exactly as given (no dot-segment normalisation), as a hostile client would send it.
    const req = https.request({
      host: base.hostname, port: base.port, path,
      method: request.method ?? 'GET',
      ca, cert, key,
      headers: {
        ...(payload !== undefined ? { 'Content-Type': request.contentType ?? 'application/json' } : {}),
        ...(request.token ? { Authorization: `Bearer ${request.token}` } : {}),
        ...(request.accept ? { Accept: request.accept } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
