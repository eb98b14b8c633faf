/**
 * The whole run's set-up and teardown. Every process a test starts (etcd, agents, API servers,
 * the CLI and what it detaches) inherits KUBEFORGE_TEST_RUN, a mark unique to this run; after the
 * last test the teardown finds the processes that still carry it, reports them, ends them, and
 * fails the run, so a test that leaks a process is caught even when it passed. Processes of a
 * `npm run up` cluster, or of another run, carry no mark or another one and are never touched.
 */
import { randomUUID } from 'node:crypto';
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

export default function setup(): () => Promise<void> {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: the end-to-end tests drive the built CLI. Run the suite with \`npm test\` (it builds first) or run \`npm run build\``);
  }
  const mark = randomUUID();
  process.env[MARK] = mark;
  return async () => {
    let left = await markedProcesses(mark);
    for (const deadline = Date.now() + GRACE_MS; left.length > 0 && Date.now() < deadline; left = await markedProcesses(mark)) {
      await new Promise((r) => setTimeout(r, 250));
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
