/**
 * What the API server creates at start, like upstream's post-start hooks: the system
 * namespaces and the default RBAC roles and bindings (created when missing, kept otherwise).
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
