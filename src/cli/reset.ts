import type { Command } from 'commander';
import { resolveRoot } from '../host/index.js';
import { absolutePath, commaList, globals } from './globals.js';

/** Reads one answer from stdin; no terminal or no answer means no. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerReset(program: Command): void {
  program
    .command('reset')
    .description('Performs a best effort revert of changes made to this host by "kubeforge init" or "kubeforge join"')
    .option('-f, --force', 'reset the node without prompting for confirmation', false)
    .option('--dry-run', "don't apply any changes; just output what would be done", false)
    .option('--cert-dir <dir>', 'the path to the directory where the certificates are stored', absolutePath, '/etc/kubernetes/pki')
    .option('--ignore-preflight-errors <checks>', "a list of checks whose errors will be shown as warnings ('EtcdQuorum': reset a control-plane node even when removing its etcd member costs quorum; 'all')", commaList)
    .action(async (opts: { force: boolean; dryRun: boolean; certDir: string; ignorePreflightErrors?: string[] }, self: Command) => {
      const { runReset } = await import('../commands/reset.js');
      const g = globals(self);
      const result = await runReset({ root: resolveRoot(g.root), verbosity: g.v, force: opts.force, dryRun: opts.dryRun, certDir: opts.certDir, ignorePreflightErrors: opts.ignorePreflightErrors ?? [], confirm });
      if (result.wasInitialised && !opts.dryRun) process.stdout.write(`Reset complete: removed ${result.removed.length} paths; no process of this root runs.\n`);
    });
}
