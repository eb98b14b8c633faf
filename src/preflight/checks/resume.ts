/**
 * Running `init` again on a root whose earlier init was interrupted: kubeforge's init reuses
 * what is valid on disk and finishes the rest, so the files that earlier run wrote and the ports
 * its own agent and pods hold are not another cluster's. Only for a relocated root (never `/`),
 * and only for what provably belongs to it: a port counts as this root's when the full command
 * line of the process holding it names the root.
 */
import { findPortOwner } from '../port-owner.js';
import type { Check, CheckResult } from '../types.js';

const NOTE = 'left by an earlier kubeforge init of this root, which this run resumes';

function asWarnings(result: CheckResult, note: string): CheckResult {
  return { ...result, errors: [], warnings: [...result.warnings, ...result.errors.map((e) => `${e} (${note})`)] };
}

/** FileAvailable/DirAvailable of files init itself writes under this root. */
export function resumableFileCheck(check: Check): Check {
  return { ...check, run: async (ctx) => asWarnings(await check.run(ctx), NOTE) };
}

/** Port-<n>: a warning when this root's own agent or pods hold the port, an error otherwise. */
export function resumablePortCheck(check: Check, root: string, address: string, port: number): Check {
  return {
    ...check,
    async run(ctx) {
      const result = await check.run(ctx);
      if (result.errors.length === 0) return result;
      const owner = await findPortOwner(ctx.host.system, address, port);
      const cmdline = owner && (await ctx.host.system.readSystemFile(`/proc/${owner.pid}/cmdline`));
      return cmdline?.split('\0').some((arg) => arg.includes(root)) ? asWarnings(result, NOTE) : result;
    },
  };
}
