/**
 * What `reset` undoes of a node's own runtime, in the order that leaves nothing behind: every
 * sandbox removed through CRI (its containers stopped, CNI DEL releasing veth, IP and rules),
 * containerd stopped, any container or shim still running killed, then whatever carries the
 * node's prefix in the shared kernel — mounts under the root, the bridge and its veths, iptables
 * rules commented with the node's network name and the chains they jump to. Nothing of another
 * node (another prefix) or of the host is touched.
 */
import type { Host } from '../../host/index.js';
import type { Logger } from '../../log.js';
import { CriClient } from './client.js';
import { BUNDLED_ARCHIVE_DIR, CRI_NAMESPACE, nodeRuntimeLayout, PAUSE_ARCHIVE, type NodeRuntimeLayout } from './layout.js';

const STOP_TIMEOUT_MS = 15_000;

/** The iptables commands that delete the rules made for `networkName` and then their CNI chains (pure). */
export function iptablesCleanup(save: string, table: string, networkName: string): string[][] {
  const commands: string[][] = [];
  const chains = new Set<string>();
  const marker = `name: \\"${networkName}\\"`;
  for (const line of save.split('\n')) {
    if (!line.startsWith('-A ') || !line.includes(marker)) continue;
    const args = line.slice(3).match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    commands.push(['-t', table, '-D', ...args.map((a) => (a.startsWith('"') ? JSON.parse(a) as string : a))]);
    const target = /-j (CNI-[A-Za-z0-9-]+)/.exec(line)?.[1];
    if (target && !/^CNI-HOSTPORT-/.test(target)) chains.add(target);
  }
  for (const chain of chains) commands.push(['-t', table, '-F', chain], ['-t', table, '-X', chain]);
  return commands;
}

/** Mount points under `realDir`, deepest first (pure, from /proc/self/mounts). */
export function mountsUnder(mounts: string, realDir: string): string[] {
  const base = realDir.replace(/\/+$/, '');
  return mounts
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && (m === base || m.startsWith(`${base}/`)))
    .sort((a, b) => b.length - a.length);
}

async function removeSandboxes(endpoint: string, log: Logger): Promise<void> {
  const client = await CriClient.connect(endpoint);
  try {
    await client.version(2000);
    const { items } = await client.call<{ items: { id: string; metadata: { namespace: string; name: string } }[] }>('ListPodSandbox', {});
    for (const s of items) {
      log.info(`[reset] Removing pod sandbox ${s.metadata.namespace}/${s.metadata.name}`);
      await client.call('StopPodSandbox', { podSandboxId: s.id }).catch((err) => log.warn(`[reset] ${(err as Error).message}`));
      await client.call('RemovePodSandbox', { podSandboxId: s.id }).catch((err) => log.warn(`[reset] ${(err as Error).message}`));
    }
  } catch {
    // containerd is not running: the sweep below removes what it left.
  } finally {
    client.close();
  }
}

async function stopProcess(host: Host, pid: number): Promise<void> {
  host.processes.signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (host.processes.isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  host.processes.signal(pid, 'SIGKILL');
}

async function run(host: Host, command: string, args: string[]): Promise<string> {
  try {
    const result = await host.processes.run(command, args, { timeoutMs: 30_000 });
    return result.exitCode === 0 ? result.stdout : '';
  } catch {
    return '';
  }
}

async function killLeftovers(host: Host, layout: NodeRuntimeLayout, log: Logger): Promise<void> {
  const runcRoot = host.files.resolve(`${layout.stateDir}/runc/${CRI_NAMESPACE}`);
  for (const id of (await run(host, 'runc', ['--root', runcRoot, 'list', '-q'])).split('\n').filter(Boolean)) {
    log.info(`[reset] Killing container ${id.slice(0, 13)}`);
    await run(host, 'runc', ['--root', runcRoot, 'kill', '--all', id, 'KILL']);
    await run(host, 'runc', ['--root', runcRoot, 'delete', '--force', id]);
  }
  const socket = host.files.resolve(layout.socket);
  for (const pid of (await run(host, 'pgrep', ['-f', `containerd-shim-runc-v2 .*-address ${socket}`])).split('\n').filter(Boolean).map(Number)) {
    log.info(`[reset] Stopping containerd shim (pid ${pid})`);
    await stopProcess(host, pid);
  }
}

async function removeNetwork(host: Host, layout: NodeRuntimeLayout, log: Logger): Promise<void> {
  const veths = (await run(host, 'ip', ['-o', 'link', 'show', 'master', layout.bridge])).split('\n').map((l) => /^\d+:\s+([^@:]+)/.exec(l)?.[1]).filter((n): n is string => Boolean(n));
  for (const veth of veths) await run(host, 'ip', ['link', 'del', veth]);
  if ((await run(host, 'ip', ['-o', 'link', 'show', layout.bridge])) !== '') {
    log.info(`[reset] Deleting bridge ${layout.bridge}`);
    await run(host, 'ip', ['link', 'del', layout.bridge]);
  }
  for (const table of ['nat', 'filter']) {
    const commands = iptablesCleanup(await run(host, 'iptables-save', ['-t', table]), table, layout.networkName);
    if (commands.length > 0) log.info(`[reset] Deleting ${commands.length} iptables rule(s)/chain(s) of ${layout.networkName} in table ${table}`);
    for (const args of commands) await run(host, 'iptables', ['-w', ...args]);
  }
}

/** The logical paths of the node runtime that reset deletes after the sweep (the air-gap images stay). */
export function runtimePaths(layout: NodeRuntimeLayout): string[] {
  return ['/etc/kubeforge', layout.rootDir, layout.cniDataDir, PAUSE_ARCHIVE, BUNDLED_ARCHIVE_DIR];
}

export async function removeNodeRuntime(host: Host, log: Logger): Promise<void> {
  const layout = nodeRuntimeLayout(host.files.root);
  if (!(await host.files.exists(layout.configFile)) && !(await host.files.exists(layout.stateDir))) return;
  await removeSandboxes(`unix://${host.files.resolve(layout.socket)}`, log);
  const pid = Number((await host.files.tryReadFile(layout.pidFile))?.toString('utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && host.processes.isAlive(pid)) {
    log.info(`[reset] Stopping the node containerd (pid ${pid})`);
    await stopProcess(host, pid);
  }
  await killLeftovers(host, layout, log);
  // Only under the runtime's own directories: on a real root (/) nothing else may be unmounted.
  const mounts = (await host.system.readSystemFile('/proc/self/mounts')) ?? '';
  for (const dir of [layout.stateDir, layout.rootDir, '/var/lib/kubelet/pods']) {
    for (const mount of mountsUnder(mounts, host.files.resolve(dir))) await run(host, 'umount', ['-l', mount]);
  }
  await removeNetwork(host, layout, log);
}
