/**
 * RBAC evaluation, as upstream's RBAC authorizer: ClusterRoleBindings grant everywhere,
 * RoleBindings grant in their namespace (to a Role there or a ClusterRole). Members of
 * system:masters are allowed everything. Pure: the caller passes the current objects.
 */
import type { UserInfo } from './authn.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface RoleLike {
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
}

export interface BindingLike {
  metadata: { name: string; namespace?: string };
  roleRef: { kind: string; name: string; apiGroup?: string };
  subjects?: Subject[];
}

export interface RbacState {
  clusterRoles: ReadonlyMap<string, RoleLike>;
  /** Keyed `<namespace>/<name>`. */
  roles: ReadonlyMap<string, RoleLike>;
  clusterRoleBindings: readonly BindingLike[];
  roleBindings: readonly BindingLike[];
}

export interface Attributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string | undefined;
  namespace: string | undefined;
  path: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isStrings = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
const hasName = (v: unknown) => isObject(v) && isObject(v.metadata) && typeof v.metadata.name === 'string';

/** A stored Role or ClusterRole Go's decoder would have read (one that was not may never grant or break anything). */
export function isWellFormedRole(role: unknown): role is RoleLike {
  if (!hasName(role)) return false;
  const rules = (role as Record<string, unknown>).rules;
  if (rules === undefined || rules === null) return true;
  return Array.isArray(rules) && rules.every((r) => isObject(r) && Array.isArray(r.verbs) && ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'].every((f) => isStrings(r[f])));
}

/** A stored RoleBinding or ClusterRoleBinding Go's decoder would have read. */
export function isWellFormedBinding(binding: unknown): binding is BindingLike {
  if (!hasName(binding)) return false;
  const { roleRef, subjects } = binding as Record<string, unknown>;
  if (!isObject(roleRef) || typeof roleRef.kind !== 'string' || typeof roleRef.name !== 'string') return false;
  if (subjects === undefined || subjects === null) return true;
  return Array.isArray(subjects) && subjects.every((s) => isObject(s) && typeof s.kind === 'string' && typeof s.name === 'string' && (s.namespace === undefined || typeof s.namespace === 'string'));
}

const has = (list: readonly string[] | undefined, value: string): boolean => !!list && (list.includes('*') || list.includes(value));

function resourceMatches(rule: PolicyRule, attrs: Attributes): boolean {
  const resources = rule.resources ?? [];
  if (!attrs.subresource) return has(resources, attrs.resource);
  const combined = `${attrs.resource}/${attrs.subresource}`;
  return resources.includes('*') || resources.includes(combined) || resources.includes(`*/${attrs.subresource}`);
}

function urlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((url) => url === '*' || url === path || (url.endsWith('*') && path.startsWith(url.slice(0, -1))));
}

export function ruleAllows(rule: PolicyRule, attrs: Attributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.isResourceRequest) return urlMatches(rule, attrs.path);
  if (!has(rule.apiGroups, attrs.apiGroup) || !resourceMatches(rule, attrs)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (attrs.name !== undefined && names.includes(attrs.name));
}

export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${subject.namespace ?? bindingNamespace ?? ''}:${subject.name}`;
    default:
      return false;
  }
}

function rulesOf(state: RbacState, binding: BindingLike): PolicyRule[] {
  if (binding.roleRef.kind === 'ClusterRole') return state.clusterRoles.get(binding.roleRef.name)?.rules ?? [];
  if (binding.roleRef.kind === 'Role' && binding.metadata.namespace) {
    return state.roles.get(`${binding.metadata.namespace}/${binding.roleRef.name}`)?.rules ?? [];
  }
  return [];
}

/** Every rule that applies to `user` in `namespace` (cluster-wide rules when namespace is undefined). */
export function rulesFor(state: RbacState, user: UserInfo, namespace: string | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const binding of state.clusterRoleBindings) {
    if ((binding.subjects ?? []).some((s) => subjectMatches(s, user, undefined))) rules.push(...rulesOf(state, binding));
  }
  if (namespace) {
    for (const binding of state.roleBindings) {
      if (binding.metadata.namespace !== namespace) continue;
      if ((binding.subjects ?? []).some((s) => subjectMatches(s, user, namespace))) rules.push(...rulesOf(state, binding));
    }
  }
  return rules;
}

export function authorizeRbac(state: RbacState, attrs: Attributes): Decision {
  if (attrs.user.groups.includes('system:masters')) return { allowed: true, reason: 'system:masters' };
  const rules = rulesFor(state, attrs.user, attrs.isResourceRequest ? attrs.namespace : undefined);
  return rules.some((rule) => ruleAllows(rule, attrs)) ? { allowed: true, reason: 'RBAC: allowed' } : { allowed: false, reason: '' };
}
