/**
 * The node-local API load balancer (k3s's agent load balancer, k0s's node-local load
 * balancing): a TCP proxy on this node's address that the agent's kubeconfig names, forwarding
 * each connection to a live API server. It starts from the servers join wrote into its state
 * file, learns every API server from the `default/kubernetes` Endpoints (kept up to date and
 * written back, so a restarted agent still knows them when the first server is gone), prefers
 * this node's own API server on a control-plane node, and skips dead ones: a failed dial or a
 * failed health probe marks a server down and closes the connections it carried, so clients
 * reconnect through another. TLS passes through untouched; kubeconfigs name the server
 * certificate with `tls-server-name` (every API server certificate carries `kubernetes`).
 */
import net from 'node:net';
import type { Host } from '../host/index.js';
import type { KubeClient, KubeObject } from '../kube/index.js';
import type { Logger } from '../log.js';
import type { Component } from './component-manager.js';

/** Under the kubelet's state dir, so `reset` removes it with the rest of the node's state. */
export const APISERVER_LB_STATE = '/var/lib/kubelet/apiserver-lb.json';
export const APISERVER_LB_PORT = 6444;
/** A DNS name every kubeadm API server certificate carries. */
export const APISERVER_LB_SERVER_NAME = 'kubernetes';

export interface LoadBalancerState {
  /** `host:port` the proxy listens on (this node's address, port 6444). */
  listen: string;
  /** Every known API server, `host:port`. */
  servers: string[];
  /** This node's own API server on a control-plane node: used while it is healthy. */
  preferred?: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/;

function splitHostPort(hostPort: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(hostPort);
  const port = Number(m?.[2]);
  return m && port >= 1 && port <= 65535 ? { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port } : undefined;
}

/** The state file's content, checked: a hand-edited or torn file disables nothing silently. */
export function parseLoadBalancerState(text: string): LoadBalancerState {
  const doc = JSON.parse(text) as Partial<LoadBalancerState>;
  const valid = (v: unknown): v is string => typeof v === 'string' && splitHostPort(v) !== undefined;
  if (!valid(doc.listen) || !Array.isArray(doc.servers) || !doc.servers.every(valid) || (doc.preferred !== undefined && !valid(doc.preferred))) {
    throw new Error(`${APISERVER_LB_STATE} must hold {"listen":"host:port","servers":["host:port",...],"preferred"?:"host:port"}`);
  }
  return { listen: doc.listen, servers: [...doc.servers], ...(doc.preferred ? { preferred: doc.preferred } : {}) };
}

type EndpointsObject = KubeObject & { subsets?: Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ name?: string; port: number }> }> };

/** Every API server the `default/kubernetes` Endpoints lists, `host:port`, sorted. */
export function endpointServers(endpoints: EndpointsObject): string[] {
  const out = new Set<string>();
  for (const subset of endpoints.subsets ?? []) {
    const port = (subset.ports ?? []).find((p) => p.name === 'https' || subset.ports?.length === 1)?.port;
    if (!port) continue;
    for (const a of subset.addresses ?? []) out.add(net.isIPv6(a.ip) ? `[${a.ip}]:${port}` : `${a.ip}:${port}`);
  }
  return [...out].sort();
}

/**
 * The order to dial for one connection: the preferred server when healthy, then the healthy
 * others starting at `cursor` (round robin), then the ones marked down as a last resort (they
 * may be back before the next probe says so).
 */
export function dialOrder(servers: readonly string[], healthy: (s: string) => boolean, preferred: string | undefined, cursor: number): string[] {
  const all = preferred && !servers.includes(preferred) ? [preferred, ...servers] : [...servers];
  const rotated = all.length ? [...all.slice(cursor % all.length), ...all.slice(0, cursor % all.length)] : [];
  const up = rotated.filter(healthy);
  const first = preferred && healthy(preferred) ? [preferred] : [];
  return [...first, ...up.filter((s) => s !== preferred), ...rotated.filter((s) => !healthy(s))];
}

export interface ApiServerLoadBalancerOptions {
  host: Host;
  log: Logger;
  /** Health probe period (2 s) and its dial timeout (1 s). */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  /** How often the `kubernetes` Endpoints are read (5 s). */
  syncIntervalMs?: number;
}

export class ApiServerLoadBalancer implements Component {
  readonly name = 'apiserver-load-balancer';
  private state: LoadBalancerState | undefined;
  private server: net.Server | undefined;
  private readonly down = new Set<string>();
  private readonly active = new Map<string, Set<net.Socket>>();
  private cursor = 0;
  private client: KubeClient | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: ApiServerLoadBalancerOptions) {}

  /** Without a state file (init's node, or a controlPlaneEndpoint cluster) the component does nothing. */
  async init(): Promise<void> {
    const text = await this.options.host.files.tryReadFile(APISERVER_LB_STATE);
    this.state = text ? parseLoadBalancerState(text.toString('utf8')) : undefined;
  }

  async start(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const listen = splitHostPort(state.listen)!;
    const server = net.createServer((socket) => this.forward(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => (server.off('error', reject), resolve()));
    });
    this.server = server;
    this.options.log.info(`agent: API load balancer on ${state.listen} for ${this.servers().join(', ')}`);
    this.every(this.options.probeIntervalMs ?? 2_000, () => this.probeAll());
    this.every(this.options.syncIntervalMs ?? 5_000, () => this.syncEndpoints());
  }

  async ready(): Promise<void> {}

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const sockets of this.active.values()) for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The agent's API client, through this very proxy, for reading the Endpoints. */
  useClient(client: KubeClient): void {
    this.client = client;
  }

  /** Every server it balances over, the preferred one first. */
  servers(): string[] {
    return this.state ? dialOrder(this.state.servers, () => true, this.state.preferred, 0) : [];
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => void task().catch(() => {}), ms);
    timer.unref();
    this.timers.push(timer);
  }

  private forward(socket: net.Socket): void {
    const order = dialOrder(this.state!.servers, (s) => !this.down.has(s), this.state!.preferred, this.cursor++);
    socket.on('error', () => socket.destroy());
    const attempt = (i: number) => {
      const target = order[i];
      if (!target || socket.destroyed) return socket.destroy();
      const { host, port } = splitHostPort(target)!;
      const upstream = net.connect({ host, port });
      upstream.once('error', () => {
        upstream.destroy();
        this.markDown(target, 'connection refused or reset');
        attempt(i + 1);
      });
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => socket.destroy());
        upstream.on('close', () => socket.destroy());
        socket.on('close', () => upstream.destroy());
        const set = this.active.get(target) ?? new Set<net.Socket>();
        this.active.set(target, set.add(upstream));
        upstream.on('close', () => set.delete(upstream));
        socket.pipe(upstream).pipe(socket);
      });
    };
    attempt(0);
  }

  private markDown(target: string, why: string): void {
    if (this.down.has(target)) return;
    this.down.add(target);
    this.options.log.warn(`agent: API load balancer: ${target} is down (${why}); using ${this.servers().filter((s) => !this.down.has(s)).join(', ') || 'none'}`);
    // Connections it carried would hang on a dead machine: close them so their clients redial.
    for (const s of this.active.get(target) ?? []) s.destroy();
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      this.servers().map(async (target) => {
        const ok = await this.probe(target);
        if (ok && this.down.delete(target)) this.options.log.info(`agent: API load balancer: ${target} is back`);
        if (!ok) this.markDown(target, 'health probe failed');
      }),
    );
  }

  private probe(target: string): Promise<boolean> {
    const { host, port } = splitHostPort(target)!;
    return new Promise((resolve) => {
      const socket = net.connect({ host, port, timeout: this.options.probeTimeoutMs ?? 1_000 });
      const done = (ok: boolean) => (socket.destroy(), resolve(ok));
      socket.once('connect', () => done(true));
      socket.once('timeout', () => done(false));
      socket.once('error', () => done(false));
    });
  }

  private async syncEndpoints(): Promise<void> {
    if (!this.client || !this.state) return;
    const servers = endpointServers(await this.client.get<EndpointsObject>({ version: 'v1', resource: 'endpoints', namespace: 'default', name: 'kubernetes' }));
    if (servers.length === 0 || servers.join(',') === [...this.state.servers].sort().join(',')) return;
    this.state = { ...this.state, servers };
    this.options.log.info(`agent: API load balancer: the kubernetes Endpoints list ${servers.join(', ')}`);
    await this.options.host.files.writeFile(APISERVER_LB_STATE, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
  }
}
