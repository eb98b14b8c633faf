/**
 * Authorization chain from --authorization-mode (Node, RBAC, AlwaysAllow, AlwaysDeny) over
 * RBAC objects mirrored from etcd (malformed ones skipped, as upstream's decoder would never
 * have stored them). The Node mode is the `system:node` rules plus the graph (nodegraph.ts):
 * Secrets, ConfigMaps, PVCs and ServiceAccount tokens only for its pods. NodeRestriction is
 * admission (admission/noderestriction.ts).
 */
import type { PrefixCache } from './cache.js';
import type { NodeGraph } from './nodegraph.js';
import { BOOTSTRAP_CLUSTER_ROLES } from './policy.js';
import { authorizeRbac, isWellFormedBinding, isWellFormedRole, ruleAllows, rulesFor, type Attributes, type Decision, type PolicyRule, type RbacState } from './rbac.js';
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
      const roles = (cache: PrefixCache) => (cache.values() as unknown[]).filter(isWellFormedRole);
      const bindings = (cache: PrefixCache) => (cache.values() as unknown[]).filter(isWellFormedBinding);
      this.state = {
        clusterRoles: new Map(roles(c.clusterRoles).map((r) => [r.metadata.name, r])),
        roles: new Map(roles(c.roles).map((r) => [`${r.metadata.namespace ?? ''}/${r.metadata.name}`, r])),
        clusterRoleBindings: bindings(c.clusterRoleBindings),
        roleBindings: bindings(c.roleBindings),
      };
      this.stateGeneration = generation;
    }
    return this.state;
  }

  /** The RBAC rules of `user` in `namespace` (cluster-wide ones only without): what escalation checks compare with. */
  rulesFor(user: UserInfo, namespace: string | undefined): PolicyRule[] {
    return this.modes.includes('RBAC') ? rulesFor(this.rbacState(), user, namespace) : [];
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
  rulesReview(user: UserInfo, namespace: string): { rules: PolicyRule[]; incomplete: boolean } {
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
