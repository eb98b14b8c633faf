/**
 * The iptables-restore input that takes the kernel from what was applied to what is wanted
 * (pure). A full sync (after start, a take-over or a failed restore) writes every chain and
 * deletes any chain of the prefix it did not render; an incremental one writes only the chains
 * whose rules changed and deletes the ones that went away, as upstream's partial syncs do, so
 * one endpoint change costs a few chains however many Services there are. Declaring a chain
 * (`:NAME - [0:0]`) flushes it under --noflush; nothing outside the prefix is touched.
 */
import { hookRule, hooks, type Hook, type RuleSet, type Table } from './rules.js';

const TABLES: readonly Table[] = ['nat', 'filter'];

export type ChainNames = Record<Table, Set<string>>;

/** The chains of this prefix in an `iptables-save -t <table>` text. */
export function prefixChains(save: string, prefix: string): Set<string> {
  const out = new Set<string>();
  for (const line of save.split('\n')) {
    const name = /^:(\S+)/.exec(line)?.[1];
    if (name?.startsWith(`${prefix}-`)) out.add(name);
  }
  return out;
}

/** The hooks (built-in chain → the prefix's entry chains) missing from the `iptables-save` texts of nat and filter. */
export function missingHooks(saved: Record<Table, string>, prefix: string): Hook[] {
  return hooks(prefix).filter((hook) => {
    const line = `-A ${hook.chain} ${hookRule(prefix, hook).map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`;
    return !saved[hook.table].split('\n').includes(line);
  });
}

const same = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * `applied` undefined means a full sync: `present` (the prefix's chains in the kernel) are all
 * rewritten or deleted, and `insertHooks` (missingHooks) inserted. Returns '' when nothing changes.
 */
export function restoreInput(next: RuleSet, applied: RuleSet | undefined, present: ChainNames, insertHooks: readonly Hook[] = [], prefix = ''): string {
  const out: string[] = [];
  for (const table of TABLES) {
    const wanted = next[table];
    const write = [...wanted.keys()].filter((c) => !applied || !same(applied[table].get(c), wanted.get(c)!));
    const before = applied ? [...applied[table].keys()] : [...present[table]];
    const remove = before.filter((c) => !wanted.has(c));
    // Missing jumps into the entry chains go in the same transaction (one process, not an
    // `iptables -C`/`-I` pair per hook), after the chains they jump to are declared.
    const insert = insertHooks.filter((h) => h.table === table && wanted.has(h.target));
    if (write.length === 0 && remove.length === 0 && insert.length === 0) continue;
    out.push(`*${table}`);
    for (const c of [...write, ...remove]) out.push(`:${c} - [0:0]`);
    for (const c of write) out.push(...wanted.get(c)!);
    for (const h of insert) out.push(`-I ${h.chain} 1 ${hookRule(prefix, h).map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);
    for (const c of remove) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * What removes a prefix from one table: the `iptables -D` arguments of every built-in chain's
 * jump into it, and the restore input that then flushes and deletes its chains.
 */
export function prefixCleanup(save: string, table: Table, prefix: string): { deletes: string[][]; restore: string } {
  const deletes: string[][] = [];
  for (const line of save.split('\n')) {
    const m = /^-A (\S+) (.*)$/.exec(line);
    if (!m || m[1]!.startsWith(`${prefix}-`) || !line.includes(`-j ${prefix}-`)) continue;
    const args = m[2]!.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    deletes.push(['-t', table, '-D', m[1]!, ...args.map((a) => (a.startsWith('"') ? (JSON.parse(a) as string) : a))]);
  }
  const chains = [...prefixChains(save, prefix)];
  const restore = chains.length ? `*${table}\n${chains.map((c) => `:${c} - [0:0]`).join('\n')}\n${chains.map((c) => `-X ${c}`).join('\n')}\nCOMMIT\n` : '';
  return { deletes, restore };
}
