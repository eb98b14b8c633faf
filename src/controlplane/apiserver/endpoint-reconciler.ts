/**
 * Upstream's lease endpoint reconciler (pkg/controlplane/reconcilers/lease.go): every API server
 * keeps a key `<prefix>/masterleases/<ip>` alive under a short etcd lease and sets the
 * `default/kubernetes` Endpoints to exactly the addresses whose keys live, so the Service lists
 * every live API server and drops a dead one within the TTL plus one interval. As upstream's
 * EndpointsAdapter, the same addresses go to the `default/kubernetes` EndpointSlice (the
 * Endpoints carry `endpointslice.kubernetes.io/skip-mirror`, so no controller mirrors them).
 */
import { SYSTEM_USER } from './bootstrap.js';
import type { ObjectStore } from './objects.js';
import { findResource, type ResourceType } from './resources.js';
import { ApiError } from './status.js';
import type { KubeObject, Storage } from './storage.js';

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

/** The `default/kubernetes` EndpointSlice for these API server addresses (upstream's endpointSliceFromEndpoints). */
export function kubernetesEndpointSlice(ips: readonly string[], port: number): KubeObject {
  const ipv6 = ips.length > 0 && ips.every((ip) => ip.includes(':'));
  return {
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: ipv6 ? 'IPv6' : 'IPv4',
    endpoints: [...ips].sort().map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
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
    const slices = findResource('discovery.k8s.io', 'v1', 'endpointslices') as ResourceType;
    const wanted = kubernetesEndpointSlice(live, port);
    try {
      await this.objects.guaranteedUpdate(slices, 'default', 'kubernetes', (current) => ({ ...current, addressType: wanted.addressType, endpoints: wanted.endpoints, ports: wanted.ports, metadata: { ...current.metadata, labels: { ...current.metadata?.labels, ...wanted.metadata?.labels }, resourceVersion: undefined } }));
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
      // Another API server may create it first: the next interval updates it.
      await this.objects.create(slices, 'default', wanted, SYSTEM_USER).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      });
    }
  }

  /** On shutdown: this server leaves the Endpoints at once (upstream's RemoveEndpoints). */
  async remove(): Promise<void> {
    await this.storage.client.delete().key(`${this.leasePrefix}${this.options.address}`);
  }
}
