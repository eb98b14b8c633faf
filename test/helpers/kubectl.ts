/** The real kubectl against a test cluster's admin kubeconfig, and polling for what it shows. */
import { tool, type CliResult } from './cli.js';

export interface Kubectl {
  (args: string[], input?: string, timeoutMs?: number): Promise<CliResult>;
  /** `kubectl ... -o json`, parsed; throws with kubectl's stderr when it fails. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(args: string[]): Promise<any>;
}

/** `kubeconfig` is read at each call, so a test may set its cluster up after making this. */
export function kubectlWith(kubeconfig: () => string): Kubectl {
  const run = (args: string[], input?: string, timeoutMs?: number) => tool('kubectl', ['--kubeconfig', kubeconfig(), ...args], input, timeoutMs);
  return Object.assign(run, {
    async json(args: string[]) {
      const r = await run([...args, '-o', 'json']);
      if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
  });
}

/** Polls `probe` until it returns a value (an error counts as not yet, and is reported on timeout). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
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
