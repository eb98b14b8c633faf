/**
 * The kubernetes plugin's view of the API: informers on Services and on EndpointSlices — or on
 * v1 Endpoints when the API server does not serve discovery.k8s.io/v1 (discovery tells) — and a
 * ClusterIndex rebuilt after each burst of changes. `synced` turns true after the first list of
 * both, which is what `ready` reports for the kubernetes plugin.
 */
import type { KubeObject } from '../kube/index.js';
import type { Logger } from '../log.js';
import type { ApiClient } from '../controlplane/common/controller.js';
import { Informer } from '../controlplane/common/informer.js';
import { buildClusterIndex, endpointSetsFromEndpoints, endpointSetsFromSlice, endpointsOwner, type ClusterIndex, type EndpointSet } from './cluster-state.js';

/** Whether the API serves discovery.k8s.io/v1 endpointslices. */
export async function servesEndpointSlices(client: ApiClient): Promise<boolean> {
  try {
    const list = await client.request<{ resources?: { name: string }[] }>('GET', '/apis/discovery.k8s.io/v1');
    return (list.resources ?? []).some((r) => r.name === 'endpointslices');
  } catch {
    return false;
  }
}

export class ClusterWatch {
  private services: Informer<KubeObject> | undefined;
  private endpoints: Informer<KubeObject> | undefined;
  private current: ClusterIndex = buildClusterIndex([], new Map());
  private pending = false;
  /** Changes seen, the SOA serial (CoreDNS uses the time of the last change; a counter serves). */
  serial = Math.floor(Date.now() / 1000);
  synced = false;
  source: 'endpointslices' | 'endpoints' | undefined;

  constructor(private readonly client: ApiClient, private readonly log: Logger) {}

  index(): ClusterIndex {
    return this.current;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.source = (await servesEndpointSlices(this.client)) ? 'endpointslices' : 'endpoints';
    this.log.info(`[INFO] plugin/kubernetes: watching services and ${this.source}`);
    this.services = new Informer({ client: this.client, ref: { version: 'v1', resource: 'services' }, log: this.log });
    this.endpoints = new Informer({ client: this.client, ref: this.source === 'endpointslices' ? { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } : { version: 'v1', resource: 'endpoints' }, log: this.log });
    for (const informer of [this.services, this.endpoints]) informer.on({ add: () => this.changed(), update: () => this.changed(), delete: () => this.changed() });
    void this.services.run(signal);
    void this.endpoints.run(signal);
    await Promise.all([this.services.synced(), this.endpoints.synced()]);
    this.rebuild();
    this.synced = true;
  }

  private changed(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => this.rebuild());
  }

  private rebuild(): void {
    this.pending = false;
    const sets = new Map<string, EndpointSet[]>();
    const slices = this.source === 'endpointslices';
    for (const object of this.endpoints?.list() ?? []) {
      const owner = endpointsOwner(object, slices);
      if (!owner) continue;
      const add = slices ? endpointSetsFromSlice(object) : endpointSetsFromEndpoints(object);
      sets.set(owner, [...(sets.get(owner) ?? []), ...add]);
    }
    this.current = buildClusterIndex(this.services?.list() ?? [], sets);
    this.serial++;
  }
}
