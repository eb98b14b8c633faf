/**
 * The whole run's set-up and teardown. Every process a test starts (etcd, agents, API servers,
 * the CLI and what it detaches) inherits KUBEFORGE_TEST_RUN, a mark unique to this run; after the
 * last test the teardown finds the processes that still carry it, reports them, ends them, and
 * fails the run, so a test that leaks a process is caught even when it passed. Processes of a
 * `npm run up` cluster, or of another run, carry no mark or another one and are never touched.
 * A pod bridge (kf…br0) that appeared during the run, has no pod left and whose alias names a root
 * that no longer exists is deleted and reported: a root deleted without `kubeforge reset` leaves
 * it, with a route that breaks later clusters. A bridge whose root still exists, or that has no
 * alias, may belong to a cluster still running (another run's, a benchmark's, `npm run up`'s,
 * between two pods) and is left alone.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = 'KUBEFORGE_TEST_RUN';
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
/** How long a process started by the last tests may take to finish exiting. */
const GRACE_MS = 15_000;

interface Leftover {
  pid: number;
  command: string;
}

/** Live processes (not zombies) carrying `mark`, other than vitest's own. */
export async function markedProcesses(mark: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
      if (!environ.split('\0').includes(`${MARK}=${mark}`)) continue;
      const state = (await readFile(`/proc/${entry}/stat`, 'utf8')).split(') ')[1]?.[0];
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim();
      if (state === 'Z' || command.includes('vitest')) continue;
      found.push({ pid: Number(entry), command });
    } catch {
      // it ended while we looked, or it is not ours to read
    }
  }
  return found;
}

/** kubeforge's pod bridges: name → whether it is down (no pod attached). */
function podBridges(): Map<string, boolean> {
  let out = '';
  try {
    out = execFileSync('ip', ['-br', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  } catch {
    return new Map(); // no iproute2: no pods ran either
  }
  const bridges = new Map<string, boolean>();
  for (const [name, state] of out.split('\n').map((l) => l.trim().split(/\s+/))) {
    if (name && /^kf[0-9a-f]{6}br0$/.test(name)) bridges.set(name, state === 'DOWN');
  }
  return bridges;
}

/** The root a bridge's alias (`kubeforge:<root>`) names, if it has one. */
function bridgeRoot(name: string): string | undefined {
  try {
    return /\balias kubeforge:(\S+)/.exec(execFileSync('ip', ['-o', 'link', 'show', name], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Deletes leaked bridges (and with them their routes); says whose each was. */
function removeBridges(leaked: { name: string; root: string }[]): string {
  return leaked.map(({ name, root }) => {
    try {
      execFileSync('ip', ['link', 'del', name]);
    } catch {
      // gone meanwhile
    }
    return `${name} (kubeforge:${root})`;
  }).join(', ');
}

export default function setup(): () => Promise<void> {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: the end-to-end tests drive the built CLI. Run the suite with \`npm test\` (it builds first) or run \`npm run build\``);
  }
  const mark = randomUUID();
  process.env[MARK] = mark;
  const bridgesBefore = podBridges();
  return async () => {
    const leakedBridges = [...podBridges()]
      .filter(([name, down]) => down && !bridgesBefore.has(name))
      .map(([name]) => ({ name, root: bridgeRoot(name) }))
      .filter((b): b is { name: string; root: string } => b.root !== undefined && !existsSync(b.root));
    let left = await markedProcesses(mark);
    for (const deadline = Date.now() + GRACE_MS; left.length > 0 && Date.now() < deadline; left = await markedProcesses(mark)) {
      await new Promise((r) => setTimeout(r, 250));
    }
    if (leakedBridges.length > 0) {
      console.warn(`WARNING: tests left pod bridge(s) behind, now deleted: ${removeBridges(leakedBridges)}; a root was deleted without \`kubeforge reset\``);
    }
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    throw new Error(`tests left ${left.length} process(es) running (now killed):\n${left.map((p) => `  ${p.pid} ${p.command.slice(0, 300)}`).join('\n')}`);
  };
}
