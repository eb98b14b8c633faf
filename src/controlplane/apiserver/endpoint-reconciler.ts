/**
 * Upstream's lease endpoint reconciler (pkg/controlplane/reconcilers/lease.go): every API server
 * keeps a key `<prefix>/masterleases/<ip>` alive under a short etcd lease and sets the
 * `default/kubernetes` Endpoints to exactly the addresses whose keys live, so the Service lists
 * every live API server and drops a dead one within the TTL plus one interval.
 */
import type { ObjectStore } from './objects.js';
import { findResource, type ResourceType } from './resources.js';
import type { Storage } from './storage.js';

/** Upstream's defaults: --endpoint-reconciler-type=lease, a 15 s TTL renewed every 10 s. */
export const MASTER_LEASE_TTL_SECONDS = 15;
export const ENDPOINT_RECONCILE_INTERVAL_MS = 10_000;

export interface EndpointReconcilerOptions {
  prefix: string;
  address: string;
  port: number;
}

type Subsets = Array<{ addresses?: Array<{ ip: string }>; ports?: unknown[] }>;

/** The Endpoints subsets for these API server addresses (sorted, as upstream's reconciler writes them). */
export function kubernetesSubsets(ips: readonly string[], port: number): Subsets {
  return [{ addresses: [...ips].sort().map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }];
}

export class LeaseEndpointReconciler {
  constructor(
    private readonly storage: Storage,
    private readonly objects: ObjectStore,
    private readonly options: EndpointReconcilerOptions,
  ) {}

  private get leasePrefix(): string {
    return `${this.options.prefix}/masterleases/`;
  }

  /** Renews this server's lease key, then makes the Endpoints list exactly the live keys. */
  async reconcile(): Promise<void> {
    const { address, port } = this.options;
    const lease = this.storage.client.lease(MASTER_LEASE_TTL_SECONDS, { autoKeepAlive: false });
    await lease.put(`${this.leasePrefix}${address}`).value(address);
    const live = (await this.storage.client.getAll().prefix(this.leasePrefix).keys()).map((k) => k.slice(this.leasePrefix.length));
    const endpoints = findResource('', 'v1', 'endpoints') as ResourceType;
    // An unchanged object is not written (guaranteedUpdate compares), so a steady cluster costs one lease put per interval.
    await this.objects.guaranteedUpdate(endpoints, 'default', 'kubernetes', (current) => ({ ...current, subsets: kubernetesSubsets(live, port), metadata: { ...current.metadata, resourceVersion: undefined } }));
  }

  /** On shutdown: this server leaves the Endpoints at once (upstream's RemoveEndpoints). */
  async remove(): Promise<void> {
    await this.storage.client.delete().key(`${this.leasePrefix}${this.options.address}`);
  }
}
