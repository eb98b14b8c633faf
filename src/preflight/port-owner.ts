/**
 * Who holds a TCP port: the listening sockets from /proc/net/tcp and tcp6 (their inodes), then
 * the process whose /proc/<pid>/fd has a link to `socket:[inode]`. Best effort: processes of
 * other users or network namespaces may stay hidden, and the caller then says "unknown process".
 */
import type { SystemProbe } from '../host/index.js';
import { formatIP, isUnspecified, ipEqual } from './ip.js';

export interface ListeningSocket {
  address: string;
  port: number;
  inode: string;
}

export interface PortOwner {
  pid: number;
  command: string;
}

const TCP_LISTEN = '0A';
const MAX_COMMAND_LENGTH = 160;

/** Decodes `/proc/net/tcp` addresses: each 32-bit word of the address is in host (little-endian) order. */
function decodeProcAddress(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) {
    for (let i = 0; i < 4; i++) bytes[word * 4 + i] = parseInt(hex.slice(word * 8 + (3 - i) * 2, word * 8 + (3 - i) * 2 + 2), 16);
  }
  if (bytes.length === 4) return [...bytes].join('.');
  return formatIP(bytes);
}

/** The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== TCP_LISTEN) continue;
    const [addressHex, portHex] = fields[1]!.split(':');
    if (!addressHex || !portHex) continue;
    sockets.push({ address: decodeProcAddress(addressHex), port: parseInt(portHex, 16), inode: fields[9]! });
  }
  return sockets;
}

/** True when a socket listening on `socket` keeps `host:port` from being bound. */
function blocks(socket: ListeningSocket, host: string, port: number): boolean {
  if (socket.port !== port) return false;
  return isUnspecified(host) || isUnspecified(socket.address) || ipEqual(socket.address, host);
}

async function socketInodes(system: SystemProbe, host: string, port: number): Promise<Set<string>> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((path) => system.readSystemFile(path)));
  const inodes = tables.flatMap((text) => (text ? parseProcNetTcp(text) : [])).filter((s) => blocks(s, host, port)).map((s) => s.inode);
  return new Set(inodes.filter((inode) => inode !== '0'));
}

async function processHolding(system: SystemProbe, pid: string, links: Set<string>): Promise<boolean> {
  const fds = (await system.listSystemDir(`/proc/${pid}/fd`)) ?? [];
  for (const fd of fds) {
    const target = await system.readSystemLink(`/proc/${pid}/fd/${fd}`);
    if (target !== undefined && links.has(target)) return true;
  }
  return false;
}

async function commandOf(system: SystemProbe, pid: number): Promise<string> {
  const cmdline = (await system.readSystemFile(`/proc/${pid}/cmdline`)) ?? '';
  const command = cmdline.split('\0').filter(Boolean).join(' ') || ((await system.readSystemFile(`/proc/${pid}/comm`)) ?? '').trim();
  return command.length > MAX_COMMAND_LENGTH ? `${command.slice(0, MAX_COMMAND_LENGTH)}…` : command;
}

/** The process listening on host:port (an unspecified host means any address), or undefined. */
export async function findPortOwner(system: SystemProbe, host: string, port: number): Promise<PortOwner | undefined> {
  const inodes = await socketInodes(system, host, port);
  if (inodes.size === 0) return undefined;
  const links = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const pids = ((await system.listSystemDir('/proc')) ?? []).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    if (await processHolding(system, pid, links)) return { pid: Number(pid), command: await commandOf(system, Number(pid)) };
  }
  return undefined;
}

/** `pid 1234 (etcd --name node-1 …)` or `an unknown process`. */
export function describeOwner(owner: PortOwner | undefined): string {
  if (!owner) return 'an unknown process';
  return owner.command ? `pid ${owner.pid} (${owner.command})` : `pid ${owner.pid}`;
}
