/** Where the kinds the controllers and the scheduler touch live in the API. */
import type { ResourceRef } from '../../kube/index.js';

const RESOURCES = {
  namespaces: { version: 'v1', resource: 'namespaces' },
  secrets: { version: 'v1', resource: 'secrets' },
  configmaps: { version: 'v1', resource: 'configmaps' },
  serviceaccounts: { version: 'v1', resource: 'serviceaccounts' },
  nodes: { version: 'v1', resource: 'nodes' },
  pods: { version: 'v1', resource: 'pods' },
  events: { version: 'v1', resource: 'events' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  csrs: { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
} as const satisfies Record<string, ResourceRef>;

export type ResourceName = keyof typeof RESOURCES;

/** The reference of a resource, optionally in a namespace, of one object, or of its subresource. */
export function ref(resource: ResourceName, namespace?: string, name?: string, subresource?: string): ResourceRef {
  return { ...RESOURCES[resource], namespace, name, subresource };
}
