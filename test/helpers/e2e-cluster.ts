/**
 * What the e2e files that drive a cluster of the built CLI share: temp roots for its nodes, the
 * real kubectl against its admin.conf, and waiting on conditions.
 */
import { kubeforge, tempRoot, tool, type CliResult } from './cli.js';
import { pidsMentioning } from './processes.js';

/** Temp roots made in order; `cleanupAll` removes them all. */
export function testRoots() {
  const roots: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  return {
    roots,
    async newRoot(prefix: string): Promise<string> {
      const { dir, cleanup } = await tempRoot(prefix);
      roots.push(dir);
      cleanups.push(cleanup);
      return dir;
    },
    async cleanupAll(): Promise<void> {
      for (const cleanup of cleanups) await cleanup();
    },
  };
}

export interface ClusterKubectl {
  kubectl(args: string[], input?: string, timeoutMs?: number): Promise<CliResult>;
  /** `kubectl … -o json`, parsed; throws with kubectl's stderr when it fails. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(args: string[]): Promise<any>;
}

/** kubectl with the admin.conf of the control-plane root `cpRoot()` (read when called). */
export function clusterKubectl(cpRoot: () => string): ClusterKubectl {
  const kubectl = (args: string[], input?: string, timeoutMs?: number) => tool('kubectl', ['--kubeconfig', `${cpRoot()}/etc/kubernetes/admin.conf`, ...args], input, timeoutMs);
  return {
    kubectl,
    json: async (args) => {
      const r = await kubectl([...args, '-o', 'json']);
      if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
  };
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with the last error seen. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `kubeforge reset -f` of each node root in order; what a failed reset or a live process left, by root (empty when clean). */
export async function resetNodes(roots: string[]): Promise<Record<string, unknown>> {
  const leftovers: Record<string, unknown> = {};
  for (const root of roots) {
    const reset = await kubeforge(['reset', '--root', root, '-f']);
    if (reset.exitCode !== 0) leftovers[`${root} (reset exit ${reset.exitCode}: ${reset.stderr.slice(-300)})`] = [];
    const pids = await pidsMentioning(root);
    if (pids.length) leftovers[root] = pids;
  }
  return leftovers;
}
