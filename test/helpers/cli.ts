/** Drives the built CLI (bin/kubeforge.js → dist/) as a user would, in temp roots. */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidsMentioning } from './processes.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const kubeforgeBin = path.join(repoRoot, 'bin/kubeforge.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function kubeforge(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [kubeforgeBin, ...args], {
    reject: false,
    env: { NO_COLOR: '1', ...options.env },
    input: options.input,
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs any outside tool (openssl, kubectl, etcdctl) and returns its result without throwing. */
export async function tool(command: string, args: string[], input?: string, timeoutMs = 60_000): Promise<CliResult> {
  const result = await execa(command, args, { reject: false, input, timeout: timeoutMs });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Hash of every file under dir, to prove a failed command changed nothing. */
export async function fileHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  }
  return out;
}

/** What init or join leave in a root; a root that still holds one was not reset. */
const NODE_STATE = ['etc/kubernetes', 'etc/kubeforge', 'var/lib/kubeforge', 'run/kubeforge'];

/**
 * A fresh temp directory, removed by the returned cleanup. A root a test did not reset (it failed
 * half-way) is reset first: deleting its files alone would leave its bridge, routes and iptables
 * rules in the machine's one network namespace, where they break later clusters.
 */
export async function tempRoot(prefix = 'kubeforge-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const cleanup = async () => {
    if (NODE_STATE.some((p) => existsSync(path.join(dir, p)))) await kubeforge(['reset', '--root', dir, '-f']);
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, cleanup };
}

/**
 * `kubeforge reset -f` of each root, last created first (workers before the control plane);
 * returns what was left: a failed reset, or pids still mentioning a root. Empty when clean.
 */
export async function resetRoots(roots: readonly string[]): Promise<Record<string, number[]>> {
  const leftovers: Record<string, number[]> = {};
  for (const root of [...roots].reverse()) {
    const reset = await kubeforge(['reset', '--root', root, '-f']);
    if (reset.exitCode !== 0) leftovers[`${root} (reset exit ${reset.exitCode}: ${reset.stderr.slice(-300)})`] = [];
    const pids = await pidsMentioning(root);
    if (pids.length) leftovers[root] = pids;
  }
  return leftovers;
}
