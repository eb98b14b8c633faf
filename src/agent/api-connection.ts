/**
 * The agent's connection to the API server: once its kubeconfig exists (init writes it, TLS
 * bootstrap may write it later) and the API server answers with that identity, a KubeClient
 * for the components that talk to the API. Until then it retries with back-off and never fails
 * the agent: during `init` the API server is one of the agent's own static pods. A client keeps
 * working across an API server restart (requests fail meanwhile and their loops retry);
 * `reload()` builds a new one from the kubeconfig (after a certificate rotation). As the kubelet's
 * transport uses its certificate manager's current certificate, a kubeconfig that embeds a client
 * certificate gives way to kubelet-client-current.pem once that exists (a rotation before
 * kubelet-finalize points kubelet.conf at it).
 */
import type { Host } from '../host/index.js';
import type { KubeClient } from '../kube/index.js';
import { loadKubeClient } from '../kubeconfig/index.js';
import type { Logger } from '../log.js';
import { CLIENT_CERT_CURRENT } from './client-cert.js';
import type { Component } from './component-manager.js';
import { PeriodicComponent } from './periodic.js';
import { Listeners, type Unsubscribe } from './listeners.js';

export interface ApiConnectionOptions {
  host: Host;
  /** Logical path of the kubeconfig (kubelet.conf). */
  kubeconfigPath: string;
  log: Logger;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Per-request timeout of the client (10 s). */
  requestTimeoutMs?: number;
}

export class ApiConnection extends PeriodicComponent implements Component {
  readonly name = 'api-connection';
  private current: KubeClient | undefined;
  private readonly listeners = new Listeners<[client: KubeClient]>();

  constructor(private readonly options: ApiConnectionOptions) {
    super({ name: 'connecting to the API server', intervalMs: 2 ** 31 - 1, retryBaseMs: options.retryBaseMs ?? 200, retryMaxMs: options.retryMaxMs ?? 500, log: options.log });
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.current?.close();
    this.current = undefined;
  }

  /**
   * The connected client, or undefined while the API is not reachable yet; with `signal`, a view
   * of it whose requests end when the signal aborts (a component's round, stopped with the agent).
   */
  client(signal?: AbortSignal): KubeClient | undefined {
    return signal ? this.current?.withSignal(signal) : this.current;
  }

  /** Called with each new client (the first connection and every reload). */
  onConnected(listener: (client: KubeClient) => void): Unsubscribe {
    if (this.current) listener(this.current);
    return this.listeners.add(listener);
  }

  /** Drops the client and connects again from the kubeconfig on disk. */
  reload(): void {
    this.current?.close();
    this.current = undefined;
    this.loop.trigger();
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    if (this.current) return;
    const { host, kubeconfigPath, log } = this.options;
    const client = await loadKubeClient(host, kubeconfigPath, { timeoutMs: this.options.requestTimeoutMs ?? 10_000, userAgent: 'kubeforge-agent', certificateStore: CLIENT_CERT_CURRENT });
    try {
      await client.request('GET', '/version', { signal });
    } catch (err) {
      client.close();
      throw err;
    }
    this.current = client;
    log.info(`agent: connected to the API server at ${client.config.server}`);
    this.listeners.emit(client);
  }
}
