/**
 * What the API server creates at start, like upstream's post-start hooks: the system
 * namespaces, the default RBAC roles and bindings (created when missing, kept otherwise),
 * and the `default/kubernetes` Service with Endpoints listing every API server's address.
 */
import type { UserInfo } from './authn.js';
import type { ObjectStore } from './objects.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, INITIAL_NAMESPACES } from './policy.js';
import { findResource, type ResourceType } from './resources.js';
import { ApiError } from './status.js';

const SYSTEM_USER: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };

export async function bootstrapCluster(objects: ObjectStore): Promise<void> {
  const table: Array<[ResourceType, Array<Record<string, unknown>>]> = [
    [findResource('', 'v1', 'namespaces') as ResourceType, INITIAL_NAMESPACES.map((name) => ({ metadata: { name } }))],
    [findResource('rbac.authorization.k8s.io', 'v1', 'clusterroles') as ResourceType, bootstrapClusterRoles()],
    [findResource('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings') as ResourceType, bootstrapClusterRoleBindings()],
  ];
  for (const [type, items] of table) {
    for (const item of items) {
      try {
        await objects.create(type, undefined, item, SYSTEM_USER);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
    }
  }
}

export interface KubernetesServiceOptions {
  /** This API server's advertise address and secure port. */
  address: string;
  port: number;
  /** The first address of --service-cluster-ip-range. */
  clusterIp: string;
}

const SERVICE_LABELS = { component: 'apiserver', provider: 'kubernetes' };

/** Creates `default/kubernetes` (Service and Endpoints) and adds this server's address to the Endpoints. */
export async function ensureKubernetesService(objects: ObjectStore, options: KubernetesServiceOptions): Promise<void> {
  const services = findResource('', 'v1', 'services') as ResourceType;
  const endpoints = findResource('', 'v1', 'endpoints') as ResourceType;
  const exists = async (type: ResourceType) => objects.get(type, 'default', 'kubernetes').then(() => true, (err: unknown) => (err instanceof ApiError && err.code === 404 ? false : Promise.reject(err)));
  const createIfMissing = async (type: ResourceType, body: Record<string, unknown>) => {
    if (await exists(type)) return;
    await objects.create(type, 'default', body, SYSTEM_USER).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    });
  };
  const port = { name: 'https', port: options.port, protocol: 'TCP' };
  await createIfMissing(services, {
    metadata: { name: 'kubernetes', labels: SERVICE_LABELS },
    spec: { type: 'ClusterIP', clusterIP: options.clusterIp, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: options.port }], sessionAffinity: 'None' },
  });
  await createIfMissing(endpoints, { metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets: [{ addresses: [{ ip: options.address }], ports: [port] }] });
  await objects.guaranteedUpdate(endpoints, 'default', 'kubernetes', (current) => {
    const subsets = (Array.isArray(current.subsets) ? current.subsets : []) as Array<{ addresses?: Array<{ ip: string }> }>;
    const addresses = subsets[0]?.addresses ?? [];
    if (addresses.some((a) => a.ip === options.address)) return { ...current, metadata: { ...current.metadata, resourceVersion: undefined } };
    const ips = [...addresses.map((a) => a.ip), options.address].sort();
    return { ...current, subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }], metadata: { ...current.metadata, resourceVersion: undefined } };
  });
}
