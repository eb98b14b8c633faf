/**
 * The node's CNI network for its private containerd: once the Node has a spec.podCIDR (from the
 * node IPAM controller), the bridge + host-local conflist over it is written into the node's CNI
 * conf dir, where containerd's CRI plugin picks it up. Until then sandboxes cannot get an IP and
 * pods wait in ContainerCreating with that reason.
 */
import type { Host } from '../../host/index.js';
import type { Logger } from '../../log.js';
import type { ApiConnection } from '../api-connection.js';
import type { Component } from '../component-manager.js';
import type { Unsubscribe } from '../listeners.js';
import { PeriodicComponent } from '../periodic.js';
import { nodeRuntimeLayout } from './layout.js';
import { CNI_CONFLIST, cniConfList } from './runtime-config.js';

export interface PodNetworkOptions {
  host: Host;
  log: Logger;
  nodeName: string;
  connection: ApiConnection;
  intervalMs?: number;
}

export class PodNetwork extends PeriodicComponent implements Component {
  readonly name = 'pod-network';
  private written: string | undefined;

  constructor(private readonly options: PodNetworkOptions) {
    super({ name: 'pod network', intervalMs: options.intervalMs ?? 5000, log: options.log });
  }

  protected override wire(): Unsubscribe[] {
    return [this.options.connection.onConnected(() => this.loop.trigger())];
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    const client = this.options.connection.client(signal);
    if (!client) return;
    const node = await client.get<{ metadata: { name: string }; spec?: { podCIDR?: string } }>({ version: 'v1', resource: 'nodes', name: this.options.nodeName }).catch(() => undefined);
    const cidr = node?.spec?.podCIDR;
    if (!cidr) return;
    const { host } = this.options;
    const layout = nodeRuntimeLayout(host.files.root);
    const text = cniConfList(layout, (p) => host.files.resolve(p), cidr);
    if (text === this.written) return;
    await host.files.writeFile(`${layout.cniConfDir}/${CNI_CONFLIST}`, text);
    this.written = text;
    this.options.log.info(`agent: pod network ${layout.networkName} on bridge ${layout.bridge} over ${cidr}`);
  }
}
