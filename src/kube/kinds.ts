/** Where each built-in kind lives in the API, so objects can be created from their apiVersion/kind. */
import { KubeforgeError } from '../errors.js';
import { isAlreadyExists, type KubeClient, type KubeObject, type ResourceRef } from './client.js';

interface KindInfo {
  resource: string;
  namespaced: boolean;
}

const KINDS: Record<string, KindInfo> = {
  Namespace: { resource: 'namespaces', namespaced: false },
  ConfigMap: { resource: 'configmaps', namespaced: true },
  Secret: { resource: 'secrets', namespaced: true },
  ServiceAccount: { resource: 'serviceaccounts', namespaced: true },
  Service: { resource: 'services', namespaced: true },
  Node: { resource: 'nodes', namespaced: false },
  Pod: { resource: 'pods', namespaced: true },
  Lease: { resource: 'leases', namespaced: true },
  Event: { resource: 'events', namespaced: true },
  Role: { resource: 'roles', namespaced: true },
  RoleBinding: { resource: 'rolebindings', namespaced: true },
  ClusterRole: { resource: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { resource: 'clusterrolebindings', namespaced: false },
  Deployment: { resource: 'deployments', namespaced: true },
  DaemonSet: { resource: 'daemonsets', namespaced: true },
  CertificateSigningRequest: { resource: 'certificatesigningrequests', namespaced: false },
};

/** The resource reference of an object, from its apiVersion, kind, namespace and name. */
export function refFor(object: KubeObject): ResourceRef {
  const info = object.kind ? KINDS[object.kind] : undefined;
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
