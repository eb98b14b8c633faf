/**
 * The agent's API socket: a unix socket under the node's /run that forwards each connection to
 * the API server address of the agent's own kubeconfig (the node-local load balancer on a
 * worker). Containers of bundled images (cri/bundled-images.ts) get its directory mounted, so
 * the cluster DNS reaches the API from a pod network namespace — where the node's loopback API
 * address is out of reach — without waiting for kube-proxy. TLS passes through untouched; the
 * client still authenticates with its own service-account token.
 */
import net from 'node:net';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import type { Component } from './component-manager.js';

/** Logical path of the socket's directory (what containers get mounted). */
export const API_SOCKET_DIR = '/run/kubeforge/api';
export const API_SOCKET = `${API_SOCKET_DIR}/apiserver.sock`;

export interface ApiSocketOptions {
  host: Host;
  log: Logger;
  /** `https://host:port` of the API server the agent uses, once known. */
  server: () => string | undefined;
}

export class ApiSocket implements Component {
  readonly name = 'api-socket';
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: ApiSocketOptions) {}

  async init(): Promise<void> {
    await this.options.host.files.mkdir(API_SOCKET_DIR);
    // A socket file left by an earlier agent would make listen fail; containers keep the directory.
    await this.options.host.files.remove(API_SOCKET);
  }

  async start(): Promise<void> {
    // Half-open: a client that ends its side still reads the rest of the answer.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.forward(socket));
    const file = this.options.host.files.resolve(API_SOCKET);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => (server.off('error', reject), resolve()));
    });
    this.server = server;
  }

  async ready(): Promise<void> {}

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(socket: net.Socket): void {
    const url = this.options.server();
    socket.on('error', () => socket.destroy());
    if (!url) return void socket.destroy();
    const { hostname, port } = new URL(url);
    const upstream = net.connect({ host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port || 443), allowHalfOpen: true });
    this.sockets.add(socket);
    // Ends travel through the pipes; a reset or error on either side drops both.
    socket.on('close', () => (this.sockets.delete(socket), upstream.destroy()));
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  }
}
