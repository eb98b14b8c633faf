/**
 * RBAC escalation prevention on writes of Roles, ClusterRoles and their bindings, as upstream's
 * policy-based RBAC storage (pkg/registry/rbac/*\/policybased): system:masters may write
 * anything; otherwise a Role's rules, or the rules of the role a binding references, must all be
 * held by the writer (escalation.ts), unless it has `escalate` on the role (for Roles) or `bind`
 * on the referenced role (for bindings). Upstream has this in the registry, not as a plugin, so
 * it cannot be disabled.
 */
import { escalationError } from '../escalation.js';
import type { PolicyRule } from '../rbac.js';
import { apiErrors } from '../status.js';
import { forbidden, list, obj, type AdmissionAttributes, type AdmissionContext, type ValidatingPlugin } from './types.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const ROLE_RESOURCE = new Map([
  ['Role', 'roles'],
  ['ClusterRole', 'clusterroles'],
]);

function allowed(ctx: AdmissionContext, a: AdmissionAttributes, verb: string, resource: string, name: string | undefined): boolean {
  const namespace = a.type.namespaced ? a.namespace : undefined;
  return ctx.authorize({ user: a.user, verb, isResourceRequest: true, apiGroup: RBAC_GROUP, resource, subresource: '', name, namespace, path: '' }).allowed;
}

/** The rules a binding grants: those of the role it references (404 when there is none, as upstream). */
async function referencedRules(ctx: AdmissionContext, a: AdmissionAttributes, roleRef: Record<string, unknown>): Promise<PolicyRule[]> {
  const resource = ROLE_RESOURCE.get(String(roleRef.kind)) as string;
  const name = String(roleRef.name);
  const role = await ctx.get({ group: RBAC_GROUP, plural: resource }, resource === 'roles' ? a.namespace : undefined, name);
  if (!role) throw apiErrors.notFound(resource, RBAC_GROUP, name);
  return list(role.rules) as unknown as PolicyRule[];
}

export const rbacEscalation: ValidatingPlugin = {
  name: 'RBACEscalation',
  enabled: 'always',
  async validate(a, ctx) {
    if (a.type.group !== RBAC_GROUP || a.subresource !== '' || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    if (a.user.groups.includes('system:masters')) return;
    let wanted: PolicyRule[];
    if (a.type.plural === 'roles' || a.type.plural === 'clusterroles') {
      // upstream asks with the URL's name, which a create does not have
      if (allowed(ctx, a, 'escalate', a.type.plural, a.operation === 'UPDATE' ? a.name : undefined)) return;
      wanted = list(a.object?.rules) as unknown as PolicyRule[];
    } else {
      const roleRef = obj(a.object?.roleRef);
      const resource = ROLE_RESOURCE.get(String(roleRef.kind));
      if (!resource) return; // validation has refused it already
      if (allowed(ctx, a, 'bind', resource, String(roleRef.name))) return;
      wanted = await referencedRules(ctx, a, roleRef);
    }
    const owned = ctx.rulesFor(a.user, a.type.namespaced ? a.namespace : undefined);
    const error = escalationError(a.user, owned, wanted);
    if (error) throw forbidden(a, error);
  },
};
