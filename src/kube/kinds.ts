/** Where each built-in kind lives in the API, so objects can be created from their apiVersion/kind. */
import { KubeforgeError } from '../errors.js';
import { isAlreadyExists, type KubeClient, type KubeObject, type ResourceRef } from './client.js';

interface KindInfo {
  group?: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

/**
 * The one kind → resource table of the clients (commands, phases, agent, controllers,
 * scheduler); the API server has its own registry, the authority it serves from.
 */
const KINDS = {
  Namespace: { version: 'v1', resource: 'namespaces', namespaced: false },
  ConfigMap: { version: 'v1', resource: 'configmaps', namespaced: true },
  Secret: { version: 'v1', resource: 'secrets', namespaced: true },
  ServiceAccount: { version: 'v1', resource: 'serviceaccounts', namespaced: true },
  Service: { version: 'v1', resource: 'services', namespaced: true },
  Endpoints: { version: 'v1', resource: 'endpoints', namespaced: true },
  EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true },
  Node: { version: 'v1', resource: 'nodes', namespaced: false },
  Pod: { version: 'v1', resource: 'pods', namespaced: true },
  Event: { version: 'v1', resource: 'events', namespaced: true },
  Lease: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', namespaced: true },
  ClusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', namespaced: false },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true },
  Job: { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true },
  PodDisruptionBudget: { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true },
  ControllerRevision: { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespaced: true },
  CertificateSigningRequest: { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests', namespaced: false },
} as const satisfies Record<string, KindInfo>;

/** A resource of the table by its plural name (`pods`, `certificatesigningrequests`, ...). */
export type ResourceName = (typeof KINDS)[keyof typeof KINDS]['resource'];
const BY_RESOURCE = new Map<string, KindInfo>(Object.values(KINDS).map((info) => [info.resource, info]));

/** The reference of a resource, optionally in a namespace, of one object, or of its subresource. */
export function resourceRef(resource: ResourceName, namespace?: string, name?: string, subresource?: string): ResourceRef {
  const { group, version } = BY_RESOURCE.get(resource)!;
  return { ...(group ? { group } : {}), version, resource, namespace, name, subresource };
}

/** The resource reference of an object, from its apiVersion, kind, namespace and name. */
export function refFor(object: KubeObject): ResourceRef {
  const info: KindInfo | undefined = object.kind ? (KINDS as Record<string, KindInfo>)[object.kind] : undefined;
  if (!info || !object.apiVersion) {
    throw new KubeforgeError('KF_UNKNOWN_KIND', `no API resource is known for ${object.apiVersion ?? '?'} ${object.kind ?? '?'}`);
  }
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [undefined, object.apiVersion];
  return {
    group,
    version: version!,
    resource: info.resource,
    namespace: info.namespaced ? (object.metadata.namespace ?? 'default') : undefined,
    name: object.metadata.name,
  };
}

/** Creates each object, or updates it when it exists (kubeadm's CreateOrUpdate), in order. */
export async function applyObjects(client: KubeClient, objects: KubeObject[]): Promise<void> {
  for (const object of objects) await client.createOrUpdate(refFor(object), object);
}

/** Creates each object unless it already exists (kubeadm's CreateOrRetain). */
export async function createIfMissing(client: KubeClient, objects: KubeObject[]): Promise<void> {
  for (const object of objects) {
    try {
      await client.create(refFor(object), object);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
