/**
 * The node's CNI network for its private containerd: once the Node has a spec.podCIDR (from the
 * node IPAM controller), the bridge + host-local conflist over it is written into the node's CNI
 * conf dir, where containerd's CRI plugin picks it up. Until then sandboxes cannot get an IP and
 * pods wait in ContainerCreating with that reason. The agent makes the bridge itself, before the
 * CNI plugin would, to label it with the node's root (`ip -d link` shows `alias kubeforge:<root>`):
 * several nodes share the machine's one network namespace, and a bridge a root left behind must
 * say whose it is.
 */
import type { Host } from '../../host/index.js';
import type { Logger } from '../../log.js';
import type { ApiConnection } from '../api-connection.js';
import type { Component } from '../component-manager.js';
import type { Unsubscribe } from '../listeners.js';
import { PeriodicComponent } from '../periodic.js';
import { BRIDGE_ALIAS_PREFIX, nodeRuntimeLayout } from './layout.js';
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
    await this.labelBridge(layout.bridge);
    await host.files.writeFile(`${layout.cniConfDir}/${CNI_CONFLIST}`, text);
    this.written = text;
    this.options.log.info(`agent: pod network ${layout.networkName} on bridge ${layout.bridge} over ${cidr}`);
  }

  /** Creates the node's bridge (the CNI plugin then uses it) with its root as the link's alias. */
  private async labelBridge(bridge: string): Promise<void> {
    const { processes, files } = this.options.host;
    const ip = (args: string[]) => processes.run('ip', args, { timeoutMs: 10_000 }).catch((err: Error) => ({ exitCode: 1, stdout: '', stderr: err.message }));
    if ((await ip(['link', 'show', bridge])).exitCode !== 0) await ip(['link', 'add', bridge, 'type', 'bridge']);
    const res = await ip(['link', 'set', 'dev', bridge, 'alias', `${BRIDGE_ALIAS_PREFIX}${files.root}`]);
    if (res.exitCode !== 0) this.options.log.warn(`agent: labelling bridge ${bridge}: ${res.stderr.trim()}`);
  }
}
