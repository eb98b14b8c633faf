/**
 * Facts about the machine, for pre-flight checks and node registration. Paths here are real
 * system paths (/proc, /sys), never mapped under --root.
 */
import dns from 'node:dns';
import fs from 'node:fs/promises';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The outcome of trying to bind a TCP port: `code` is the errno name (`EADDRINUSE`, `EACCES`, …). */
export type BindResult = { ok: true } | { ok: false; code: string; message: string };

/** What sits at a unix socket path: a server accepting connections, a dead socket file, or nothing. */
export type UnixSocketState = 'listening' | 'refused' | 'absent';

export interface SystemProbe {
  hostname(): string;
  cpuCount(): number;
  /** Total memory in bytes. */
  memoryBytes(): Promise<number>;
  /** Reads a real system file such as /proc/swaps; undefined when absent. */
  readSystemFile(path: string): Promise<string | undefined>;
  /** Reads a real system file as bytes (e.g. /proc/config.gz); undefined when absent. */
  readSystemFileBytes(path: string): Promise<Buffer | undefined>;
  /** The entries of a real system directory (e.g. /proc, /proc/<pid>/fd); undefined when unreadable. */
  listSystemDir(path: string): Promise<string[] | undefined>;
  /** The target of a real symbolic link (e.g. /proc/<pid>/fd/3 → `socket:[1234]`); undefined when unreadable. */
  readSystemLink(path: string): Promise<string | undefined>;
  /** Writes a real kernel setting file in place (e.g. /proc/sys/net/ipv4/conf/all/route_localnet): no temp file, no rename. */
  writeSystemFile(path: string, content: string): Promise<void>;
  /** True when nothing listens on host:port (we can bind it). */
  isPortFree(host: string, port: number): Promise<boolean>;
  /** Binds host:port exclusively and closes it again, reporting why it could not when it fails. */
  tryBind(host: string, port: number): Promise<BindResult>;
  /** Connects to a unix socket to see whether a server is behind it. */
  probeUnixSocket(path: string): Promise<UnixSocketState>;
  /** The absolute path of a binary on PATH, or undefined. */
  which(binary: string): Promise<string | undefined>;
  /** The effective user id (0 for root). */
  uid(): number;
  /** kubeadm's default advertise address: the IPv4 address of the default-route interface. */
  defaultAddress(): string;
  /** `uname -r`, e.g. `6.1.0-18-amd64`. */
  kernelRelease(): string;
  /** `uname -s`, e.g. `Linux`. */
  osType(): string;
  /** The process environment (proxy variables and the like). */
  env(): Readonly<Record<string, string | undefined>>;
  /** Resolves a host name like the system resolver (/etc/hosts, DNS); rejects with a readable message. */
  lookupHost(name: string): Promise<string[]>;
}

const LOOKUP_TIMEOUT_MS = 5000;

/** System files come and go (processes exit, /proc entries vanish): absent or unreadable is undefined. */
async function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch {
    return undefined;
  }
}

export class RealSystem implements SystemProbe {
  hostname(): string {
    return os.hostname();
  }

  cpuCount(): number {
    return os.availableParallelism();
  }

  async memoryBytes(): Promise<number> {
    const si = await import('systeminformation');
    return (await si.mem()).total;
  }

  readSystemFile(path: string): Promise<string | undefined> {
    return orUndefined(fs.readFile(path, 'utf8'));
  }

  readSystemFileBytes(path: string): Promise<Buffer | undefined> {
    return orUndefined(fs.readFile(path));
  }

  listSystemDir(path: string): Promise<string[] | undefined> {
    return orUndefined(fs.readdir(path));
  }

  readSystemLink(path: string): Promise<string | undefined> {
    return orUndefined(fs.readlink(path));
  }

  writeSystemFile(path: string, content: string): Promise<void> {
    return fs.writeFile(path, content);
  }

  async isPortFree(host: string, port: number): Promise<boolean> {
    return (await this.tryBind(host, port)).ok;
  }

  tryBind(host: string, port: number): Promise<BindResult> {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? 'UNKNOWN', message: err.message }));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve({ ok: true })));
    });
  }

  probeUnixSocket(path: string): Promise<UnixSocketState> {
    return new Promise((resolve) => {
      const socket = net.connect({ path });
      socket.once('connect', () => {
        socket.destroy();
        resolve('listening');
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' || err.code === 'ENOTDIR' ? 'absent' : 'refused'));
    });
  }

  async which(binary: string): Promise<string | undefined> {
    for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
      const candidate = `${dir}/${binary}`;
      try {
        await fs.access(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
    return undefined;
  }

  defaultAddress(): string {
    let routes = '';
    try {
      routes = readFileSync('/proc/net/route', 'utf8');
    } catch {
      // no /proc/net/route: fall back to the first external interface
    }
    const defaultIface = routes.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000')?.[0];
    const interfaces = os.networkInterfaces();
    const v4 = (name: string) => interfaces[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
    const fallback = Object.keys(interfaces).map(v4).find(Boolean);
    return (defaultIface && v4(defaultIface)) || fallback || '127.0.0.1';
  }

  uid(): number {
    return process.getuid?.() ?? 0;
  }

  kernelRelease(): string {
    return os.release();
  }

  osType(): string {
    return os.type();
  }

  env(): Readonly<Record<string, string | undefined>> {
    return process.env;
  }

  async lookupHost(name: string): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lookup ${name}: timed out after ${LOOKUP_TIMEOUT_MS / 1000}s`)), LOOKUP_TIMEOUT_MS);
    });
    try {
      const found = await Promise.race([dns.promises.lookup(name, { all: true }), timeout]);
      return found.map((entry) => entry.address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'EAI_NONAME') throw new Error(`lookup ${name}: no such host`);
      throw new Error(code ? `lookup ${name}: ${code}` : (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }
}
