/**
 * Authorization chain from --authorization-mode (Node, RBAC, AlwaysAllow, AlwaysDeny) over
 * RBAC objects mirrored from etcd, and NodeRestriction admission (a node may only change
 * its own Node and its own Lease). The Node mode is the `system:node` rules plus the graph
 * (nodegraph.ts): Secrets, ConfigMaps, PVCs and ServiceAccount tokens only for its pods.
 */
import type { PrefixCache } from './cache.js';
import type { NodeGraph } from './nodegraph.js';
import { BOOTSTRAP_CLUSTER_ROLES } from './policy.js';
import { authorizeRbac, ruleAllows, rulesFor, type Attributes, type PolicyRule, type BindingLike, type Decision, type RbacState, type RoleLike } from './rbac.js';
import { ApiError } from './status.js';
import type { UserInfo } from './authn.js';

export interface RbacCaches {
  clusterRoles: PrefixCache;
  roles: PrefixCache;
  clusterRoleBindings: PrefixCache;
  roleBindings: PrefixCache;
}

const NODE_PREFIX = 'system:node:';

/** The node name of a node identity (system:node:<name> in group system:nodes). */
export function nodeNameOf(user: UserInfo): string | undefined {
  return user.groups.includes('system:nodes') && user.name.startsWith(NODE_PREFIX) ? user.name.slice(NODE_PREFIX.length) : undefined;
}

const GRAPH_GETS = new Set(['secrets', 'configmaps', 'persistentvolumeclaims', 'serviceaccounts']);

function nodeAuthorize(attrs: Attributes, graph: NodeGraph | undefined): Decision {
  const node = nodeNameOf(attrs.user);
  if (node === undefined) return { allowed: false, reason: '' };
  let allowed = (BOOTSTRAP_CLUSTER_ROLES['system:node'] ?? []).some((rule) => ruleAllows(rule, attrs));
  if (!allowed && graph && attrs.isResourceRequest && attrs.apiGroup === '') {
    const get = attrs.verb === 'get' && !attrs.subresource && GRAPH_GETS.has(attrs.resource);
    const token = attrs.verb === 'create' && attrs.resource === 'serviceaccounts' && attrs.subresource === 'token';
    allowed = (get || token) && graph.related(node, attrs.resource, attrs.namespace, attrs.name);
  }
  return { allowed, reason: allowed ? 'Node: allowed' : '' };
}

export class Authorizer {
  private state: RbacState | undefined;
  private stateGeneration = -1;

  constructor(
    private readonly modes: readonly string[],
    private readonly caches: RbacCaches,
    private readonly graph?: NodeGraph,
  ) {}

  private rbacState(): RbacState {
    const c = this.caches;
    const generation = c.clusterRoles.generation + c.roles.generation + c.clusterRoleBindings.generation + c.roleBindings.generation;
    if (!this.state || generation !== this.stateGeneration) {
      const roles = (cache: PrefixCache) => cache.values() as unknown as RoleLike[];
      this.state = {
        clusterRoles: new Map(roles(c.clusterRoles).map((r) => [r.metadata.name, r])),
        roles: new Map(roles(c.roles).map((r) => [`${r.metadata.namespace ?? ''}/${r.metadata.name}`, r])),
        clusterRoleBindings: c.clusterRoleBindings.values() as unknown as BindingLike[],
        roleBindings: c.roleBindings.values() as unknown as BindingLike[],
      };
      this.stateGeneration = generation;
    }
    return this.state;
  }

  authorize(attrs: Attributes): Decision {
    for (const mode of this.modes) {
      if (mode === 'AlwaysAllow') return { allowed: true, reason: 'AlwaysAllow' };
      if (mode === 'AlwaysDeny') return { allowed: false, reason: 'AlwaysDeny' };
      const decision = mode === 'RBAC' ? authorizeRbac(this.rbacState(), attrs) : mode === 'Node' ? nodeAuthorize(attrs, this.graph) : { allowed: false, reason: '' };
      if (decision.allowed) return decision;
    }
    return { allowed: false, reason: '' };
  }

  /**
   * What `user` may do in `namespace`, as upstream's RulesFor (SelfSubjectRulesReview):
   * incomplete when a mode cannot list its rules (the Node authorizer for a node).
   */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; incomplete: boolean } {
    const rules: PolicyRule[] = [];
    let incomplete = false;
    for (const mode of this.modes) {
      if (mode === 'AlwaysAllow') rules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] });
      if (mode === 'RBAC') rules.push(...rulesFor(this.rbacState(), user, namespace));
      if (mode === 'Node' && nodeNameOf(user) !== undefined) incomplete = true;
    }
    return { rules, incomplete };
  }
}

const NODE_WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

/** NodeRestriction: a node identity may write only its own Node and kube-node-lease Lease. */
export function nodeRestriction(attrs: Attributes): void {
  const node = nodeNameOf(attrs.user);
  if (node === undefined || !NODE_WRITE_VERBS.has(attrs.verb)) return;
  const own = (what: string) => {
    if (attrs.name !== undefined && attrs.name !== node) {
      throw new ApiError(403, 'Forbidden', `${what} "${attrs.name}" is forbidden: node "${node}" is not allowed to modify ${what} "${attrs.name}"`);
    }
  };
  if (attrs.apiGroup === '' && attrs.resource === 'nodes') own('node');
  if (attrs.apiGroup === 'coordination.k8s.io' && attrs.resource === 'leases' && attrs.namespace === 'kube-node-lease') own('lease');
}
