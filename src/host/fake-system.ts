/**
 * An in-memory SystemProbe for unit tests: every fact is a plain field the test sets, system
 * files, directories and links are maps keyed by their real path, and "busy" ports and unix
 * sockets are sets. Defaults describe a healthy 2-CPU, 4 GiB, cgroup v2 Linux host.
 */
import type { BindResult, SystemProbe, UnixSocketState } from './system.js';

export interface FakeSystemState {
  hostname: string;
  cpuCount: number;
  memoryBytes: number;
  uid: number;
  defaultAddress: string;
  kernelRelease: string;
  osType: string;
  env: Record<string, string | undefined>;
  /** Real path → content. */
  files: Map<string, string | Buffer>;
  /** Real path → entries. */
  dirs: Map<string, string[]>;
  /** Real path → link target. */
  links: Map<string, string>;
  /** Binaries on PATH: name → absolute path. */
  binaries: Map<string, string>;
  /** Host name → addresses; a name not here does not resolve. */
  hosts: Map<string, string[]>;
  /** `host:port` pairs something already listens on. */
  busyPorts: Set<string>;
  /** Unix socket path → state (absent when missing). */
  sockets: Map<string, UnixSocketState>;
}

export const GiB = 1024 * 1024 * 1024;

export function defaultFakeSystemState(): FakeSystemState {
  return {
    hostname: 'node-1',
    cpuCount: 2,
    memoryBytes: 4 * GiB,
    uid: 0,
    defaultAddress: '192.0.2.10',
    kernelRelease: '6.1.0-18-amd64',
    osType: 'Linux',
    env: {},
    files: new Map<string, string | Buffer>([
      ['/proc/swaps', 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'],
      ['/proc/sys/net/ipv4/ip_forward', '1\n'],
      ['/proc/mounts', 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n'],
      ['/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory hugetlb pids rdma misc\n'],
    ]),
    dirs: new Map(),
    links: new Map(),
    binaries: new Map(),
    hosts: new Map([['node-1', ['127.0.1.1']]]),
    busyPorts: new Set(),
    sockets: new Map(),
  };
}

export class FakeSystem implements SystemProbe {
  readonly state: FakeSystemState;

  constructor(overrides: Partial<FakeSystemState> = {}) {
    this.state = { ...defaultFakeSystemState(), ...overrides };
  }

  hostname(): string {
    return this.state.hostname;
  }

  cpuCount(): number {
    return this.state.cpuCount;
  }

  async memoryBytes(): Promise<number> {
    return this.state.memoryBytes;
  }

  async readSystemFile(path: string): Promise<string | undefined> {
    const content = this.state.files.get(path);
    return content === undefined ? undefined : content.toString();
  }

  async readSystemFileBytes(path: string): Promise<Buffer | undefined> {
    const content = this.state.files.get(path);
    return content === undefined ? undefined : Buffer.from(content);
  }

  async listSystemDir(path: string): Promise<string[] | undefined> {
    return this.state.dirs.get(path);
  }

  async readSystemLink(path: string): Promise<string | undefined> {
    return this.state.links.get(path);
  }

  async writeSystemFile(path: string, content: string): Promise<void> {
    this.state.files.set(path, content);
  }

  async isPortFree(host: string, port: number): Promise<boolean> {
    return (await this.tryBind(host, port)).ok;
  }

  async tryBind(host: string, port: number): Promise<BindResult> {
    const wildcard = host === '0.0.0.0' || host === '::';
    const busy = [...this.state.busyPorts].some((entry) => {
      const at = entry.lastIndexOf(':');
      const [busyHost, busyPort] = [entry.slice(0, at), Number(entry.slice(at + 1))];
      return busyPort === port && (wildcard || busyHost === host || busyHost === '0.0.0.0' || busyHost === '::');
    });
    return busy ? { ok: false, code: 'EADDRINUSE', message: `listen EADDRINUSE: address already in use ${host}:${port}` } : { ok: true };
  }

  async probeUnixSocket(path: string): Promise<UnixSocketState> {
    return this.state.sockets.get(path) ?? 'absent';
  }

  async which(binary: string): Promise<string | undefined> {
    return this.state.binaries.get(binary);
  }

  defaultAddress(): string {
    return this.state.defaultAddress;
  }

  uid(): number {
    return this.state.uid;
  }

  kernelRelease(): string {
    return this.state.kernelRelease;
  }

  osType(): string {
    return this.state.osType;
  }

  env(): Readonly<Record<string, string | undefined>> {
    return this.state.env;
  }

  async lookupHost(name: string): Promise<string[]> {
    const addresses = this.state.hosts.get(name);
    if (!addresses) throw new Error(`lookup ${name}: no such host`);
    return addresses;
  }
}
