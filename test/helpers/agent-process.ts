/** Runs test/helpers/agent-run.ts as a separate node process (bundled once with esbuild, a vitest dependency). */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let bundled: Promise<string> | undefined;

export function agentBundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = path.join(mkdtempSync(path.join(os.tmpdir(), 'kf-agent-bundle-')), 'agent-run.mjs');
    await build({
      entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent-run.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'error',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    return outfile;
  })();
  return bundled;
}

export async function removeAgentBundle(): Promise<void> {
  if (!bundled) return;
  const file = await bundled;
  bundled = undefined;
  rmSync(path.dirname(file), { recursive: true, force: true });
}

/** Starts the agent on `root`; its stderr goes to `<root>/agent.log`. */
export async function spawnAgent(root: string): Promise<ChildProcess> {
  const fd = openSync(path.join(root, 'agent.log'), 'a');
  try {
    return spawn(process.execPath, [await agentBundle(), root], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
