/** Fixtures for the certs e2e suites: one initialised PKI made once through the CLI, copied per test. */
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { kubeforge, tempRoot, tool } from '../helpers/cli.js';

export const PKI = 'etc/kubernetes/pki';
export const LEAVES = ['apiserver', 'apiserver-kubelet-client', 'front-proxy-client', 'etcd/server', 'etcd/peer', 'etcd/healthcheck-client', 'apiserver-etcd-client'];
export const KUBECONFIGS = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf'];

const cleanups: Array<() => Promise<void>> = [];
export async function cleanupAll(): Promise<void> {
  for (const c of cleanups.splice(0)) await c();
}

export async function newDir(prefix = 'kf-certs-'): Promise<string> {
  const { dir, cleanup } = await tempRoot(prefix);
  cleanups.push(cleanup);
  return dir;
}

/** A root with the PKI, kubeconfigs and static-pod manifests `init` writes (no processes started). */
export async function initialisedRoot(): Promise<string> {
  const dir = await newDir();
  for (const phase of [['certs', 'all'], ['kubeconfig', 'all'], ['control-plane', 'all'], ['etcd', 'local']]) {
    const result = await kubeforge(['init', 'phase', ...phase, '--root', dir]);
    if (result.exitCode !== 0) throw new Error(`init phase ${phase.join(' ')} failed: ${result.stderr}`);
  }
  return dir;
}

export async function copyRoot(base: string): Promise<string> {
  const dir = await newDir();
  await cp(base, dir, { recursive: true });
  return dir;
}

/** Content hash of every file under dir (to prove nothing changed). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const name of await readdir(d)) {
      const p = path.join(d, name);
      if ((await stat(p)).isDirectory()) await walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}

export async function openssl(args: string[], input?: string): Promise<string> {
  const result = await tool('openssl', args, input);
  if (result.exitCode !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The client certificate embedded in a kubeconfig, as PEM. */
export async function kubeconfigCert(file: string): Promise<string> {
  const data = /client-certificate-data: (\S+)/.exec(await readFile(file, 'utf8'))?.[1] ?? '';
  return Buffer.from(data, 'base64').toString();
}
