import type { Command } from 'commander';
import { resolveRoot } from '../host/index.js';
import { globals } from './globals.js';
import { formatMachine, formatTable, parseOutputFormat } from './output.js';

export function registerEtcd(program: Command): void {
  const etcd = program.command('etcd').description("Inspect and back up this control-plane node's stacked etcd");
  const member = etcd.command('member').description('etcd cluster membership');
  member
    .command('list')
    .description('List the etcd members with their health, leader and learner state')
    .option('-o, --output <format>', 'output format: table, json or yaml', 'table')
    .action(async (opts: { output: string }, self: Command) => {
      const format = parseOutputFormat(opts.output);
      const g = globals(self);
      const { etcdMemberList } = await import('../commands/etcd.js');
      const { memberTable } = await import('../etcd/members.js');
      const members = await etcdMemberList({ root: resolveRoot(g.root), verbosity: g.v });
      if (format !== 'text') return void process.stdout.write(await formatMachine({ members }, format));
      const [header, ...rows] = memberTable(members);
      process.stdout.write(formatTable(header!, rows));
    });
  const snapshot = etcd.command('snapshot').description('etcd snapshots for disaster recovery');
  snapshot
    .command('save <file>')
    .description("Write a consistent snapshot of the cluster's etcd, from this node's member, to FILE (mode 0600)")
    .action(async (file: string, _opts: unknown, self: Command) => {
      const g = globals(self);
      const { etcdSnapshotSave } = await import('../commands/etcd.js');
      const result = await etcdSnapshotSave({ root: resolveRoot(g.root), verbosity: g.v, file });
      process.stdout.write(`Snapshot saved at ${result.file} (revision ${result.revision}, ${result.dbBytes} bytes, sha256 ${result.sha256})\n`);
    });
  snapshot
    .command('restore <file>')
    .description("Restore FILE into this root's etcd data dir as a one-member cluster (the root must have no etcd data)")
    .option('--name <name>', 'the restored member name: the node name the control plane will run under (default: the hostname)')
    .option('--advertise-address <ip>', "the member's address: the API server advertise address the control plane will use (default: the host's address)")
    .action(async (file: string, opts: { name?: string; advertiseAddress?: string }, self: Command) => {
      const g = globals(self);
      const { etcdSnapshotRestore } = await import('../commands/etcd.js');
      const result = await etcdSnapshotRestore({ root: resolveRoot(g.root), verbosity: g.v, file, ...opts });
      process.stdout.write(`Restored into ${result.dataDir} as member "${result.name}" (${result.peerURL})\n`);
    });
}
