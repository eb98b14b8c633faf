/**
 * What the API server creates at start, like upstream's post-start hooks: the system
 * namespaces, the default RBAC roles and bindings (created when missing, kept otherwise),
 * the system PriorityClasses, kube-system/extension-apiserver-authentication (kept equal to
 * the flags), and the `default/kubernetes` Service with Endpoints listing every API server's
 * address.
 */
import type { UserInfo } from './authn.js';
import type { ObjectStore } from './objects.js';
import { bootstrapRoleBindings, bootstrapRoles } from './namespace-policy.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, INITIAL_NAMESPACES } from './policy.js';
import { AUTHENTICATION_CONFIGMAP, authenticationConfigMap, systemPriorityClasses, type AuthenticationInfo } from './system-objects.js';
import { findResource, type ResourceType } from './resources.js';
import { ApiError } from './status.js';

export const SYSTEM_USER: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };

const rbac = (plural: string) => findResource('rbac.authorization.k8s.io', 'v1', plural) as ResourceType;

export async function bootstrapCluster(objects: ObjectStore, authentication: AuthenticationInfo = {}): Promise<void> {
  const table: Array<[ResourceType, Array<Record<string, unknown>>]> = [
    [findResource('', 'v1', 'namespaces') as ResourceType, INITIAL_NAMESPACES.map((name) => ({ metadata: { name } }))],
    [rbac('clusterroles'), bootstrapClusterRoles()],
    [rbac('clusterrolebindings'), bootstrapClusterRoleBindings()],
    [rbac('roles'), bootstrapRoles()],
    [rbac('rolebindings'), bootstrapRoleBindings()],
    [findResource('scheduling.k8s.io', 'v1', 'priorityclasses') as ResourceType, systemPriorityClasses()],
  ];
  const createIfMissing = async (type: ResourceType, item: Record<string, unknown>) => {
    try {
      await objects.create(type, (item.metadata as { namespace?: string }).namespace, item, SYSTEM_USER);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  };
  // The namespaces first (the rest lives in them), then everything at once: a restarted API
  // server authorizes nothing until this is done, so it must not take a round trip per object.
  const [namespaces, ...rest] = table as [[ResourceType, Array<Record<string, unknown>>], ...Array<[ResourceType, Array<Record<string, unknown>>]>];
  await Promise.all(namespaces[1].map((item) => createIfMissing(namespaces[0], item)));
  await Promise.all([...rest.flatMap(([type, items]) => items.map((item) => createIfMissing(type, item))), reconcileAuthenticationConfigMap(objects, authentication)]);
}

/** Creates kube-system/extension-apiserver-authentication, or brings its data back to what the flags say. */
async function reconcileAuthenticationConfigMap(objects: ObjectStore, info: AuthenticationInfo): Promise<void> {
  const configMaps = findResource('', 'v1', 'configmaps') as ResourceType;
  const wanted = authenticationConfigMap(info);
  try {
    await objects.create(configMaps, 'kube-system', wanted, SYSTEM_USER);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    await objects.guaranteedUpdate(configMaps, 'kube-system', AUTHENTICATION_CONFIGMAP, (current) => ({ ...current, data: wanted.data, metadata: { ...current.metadata, resourceVersion: undefined } }));
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
