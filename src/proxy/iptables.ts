/**
 * Applying rule sets to the kernel through iptables-save / iptables-restore (all waiting for
 * the xtables lock), and removing a cluster's rules. The only side effects of the proxy's rules.
 */
import type { ProcessHost } from '../host/index.js';
import { KubeforgeError } from '../errors.js';
import type { Logger } from '../log.js';
import { missingHooks, prefixChains, prefixCleanup, restoreInput, type ChainNames } from './restore.js';
import type { Hook, RuleSet, Table } from './rules.js';

const TIMEOUT_MS = 60_000;

async function iptables(processes: ProcessHost, command: string, args: string[], input?: string) {
  return processes.run(command, args, { timeoutMs: TIMEOUT_MS, ...(input !== undefined ? { input } : {}) });
}

async function save(processes: ProcessHost, table: Table): Promise<string> {
  const result = await iptables(processes, 'iptables-save', ['-t', table]);
  if (result.exitCode !== 0) throw new KubeforgeError('KF_PROXY_IPTABLES', `iptables-save -t ${table} failed: ${result.stderr.trim()}`, { hint: 'kube-proxy needs root and the iptables tools' });
  return result.stdout;
}

async function restore(processes: ProcessHost, input: string): Promise<void> {
  const result = await iptables(processes, 'iptables-restore', ['-w', '--noflush'], input);
  if (result.exitCode !== 0) {
    throw new KubeforgeError('KF_PROXY_IPTABLES', `iptables-restore failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`, { hint: 'the next sync writes every chain again' });
  }
}

/**
 * Fails unless iptables-save runs here. A proxy that cannot render must not take the cluster's
 * lock: it would hold it for every proxy that can (a kube-proxy container without iptables did).
 */
export async function checkIptables(processes: ProcessHost): Promise<void> {
  try {
    await save(processes, 'nat');
  } catch (err) {
    if (err instanceof KubeforgeError) throw err;
    throw new KubeforgeError('KF_PROXY_IPTABLES', `kube-proxy cannot run iptables-save: ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'run kube-proxy where the iptables tools are installed and on PATH (the host network namespace, as root)',
    });
  }
}

export class IptablesProxier {
  /** What the kernel holds of this prefix after the last successful restore; undefined forces a full sync. */
  private applied: RuleSet | undefined;

  constructor(
    private readonly processes: ProcessHost,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Makes the next sync a full one (after a take-over, or periodically as upstream's syncPeriod). */
  invalidate(): void {
    this.applied = undefined;
  }

  /** Applies `next`: everything on a full sync, the changed chains otherwise. Returns whether iptables-restore ran. */
  async sync(next: RuleSet): Promise<boolean> {
    const full = this.applied === undefined;
    const present: ChainNames = { nat: new Set(), filter: new Set() };
    let insert: Hook[] = [];
    if (full) {
      const saved = { nat: await save(this.processes, 'nat'), filter: await save(this.processes, 'filter') };
      for (const table of ['nat', 'filter'] as const) present[table] = prefixChains(saved[table], this.prefix);
      // Each built-in chain's jump into the cluster's chains, inserted once (upstream's EnsureRule).
      insert = missingHooks(saved, this.prefix);
    }
    const input = restoreInput(next, this.applied, present, insert, this.prefix);
    try {
      if (input) await restore(this.processes, input);
    } catch (err) {
      this.applied = undefined;
      throw err;
    }
    this.applied = next;
    if (full) this.log.debug(1, `[kube-proxy] full sync: ${next.nat.size + next.filter.size} chains`);
    return input !== '';
  }
}

/** Removes every rule and chain of the prefix (hooks first, then the chains). */
export async function removeProxyRules(processes: ProcessHost, prefix: string, log: Logger): Promise<number> {
  let removed = 0;
  for (const table of ['nat', 'filter'] as const) {
    const { deletes, restore: input } = prefixCleanup(await save(processes, table), table, prefix);
    for (const args of deletes) await iptables(processes, 'iptables', ['-w', ...args]);
    if (input) await restore(processes, input);
    removed += deletes.length + (input.match(/^-X /gm)?.length ?? 0);
  }
  if (removed > 0) log.info(`[reset] Deleted ${removed} kube-proxy iptables rule(s)/chain(s) of ${prefix}`);
  return removed;
}
