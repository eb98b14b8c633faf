/**
 * RBAC escalation prevention, as upstream's pkg/registry/rbac/validation: a user may grant
 * (in a Role, or by binding one) only rules it already holds. Rules are broken down into one
 * verb, group, resource and name each, and every piece must be covered by one of the user's
 * rules (wildcards, `*\/sub` subresources, `path*` URLs as upstream's ruleCovers). Pure.
 */
import type { PolicyRule } from './rbac.js';

const has = (set: readonly string[] | undefined, value: string) => !!set && set.includes(value);
const hasAll = (set: readonly string[] | undefined, values: readonly string[] | undefined) => (values ?? []).every((v) => has(set, v));

/** One rule per verb × group × resource × name (and per verb × URL), as upstream's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        for (const name of names) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

function resourcesCover(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, '*') || hasAll(owner, wanted)) return true;
  return (wanted ?? []).every((r) => has(owner, r) || (r.includes('/') && has(owner, `*/${r.slice(r.indexOf('/') + 1)}`)));
}

const urlCovers = (owner: string, path: string) => owner === path || (owner.endsWith('*') && path.startsWith(owner.replace(/\*+$/, '')));

/** Whether `owner` (any shape) covers `sub` (one verb, resource and name at most). */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const urls = (sub.nonResourceURLs ?? []).every((path) => (owner.nonResourceURLs ?? []).some((o) => urlCovers(o, path)));
  const ownerNames = owner.resourceNames ?? [];
  const names = (sub.resourceNames ?? []).length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, sub.resourceNames);
  return verbs && groups && resourcesCover(owner.resources, sub.resources) && names && urls;
}

/** The pieces of `wanted` no rule of `owned` covers (empty: no escalation). */
export function uncoveredRules(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdownRule).filter((sub) => !owned.some((o) => ruleCovers(o, sub)));
}

/** Go's %q of a []string: ["a" "b"]. */
const quoted = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** upstream's rbacv1helpers.CompactString. */
export function compactRule(rule: PolicyRule): string {
  const parts: Array<[string, readonly string[] | undefined]> = [
    ['APIGroups', rule.apiGroups],
    ['Resources', rule.resources],
    ['NonResourceURLs', rule.nonResourceURLs],
    ['ResourceNames', rule.resourceNames],
    ['Verbs', rule.verbs],
  ];
  return `{${parts
    .filter(([, v]) => (v ?? []).length > 0)
    .map(([k, v]) => `${k}:${quoted(v ?? [])}`)
    .join(', ')}}`;
}

/** ConfirmNoEscalation's message for the rules a user lacks, or undefined when it holds them all. */
export function escalationError(user: { name: string; groups: readonly string[] }, owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): string | undefined {
  const missing = [...new Set(uncoveredRules(owned, wanted).map(compactRule))].sort();
  if (missing.length === 0) return undefined;
  return `user ${JSON.stringify(user.name)} (groups=${quoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.join('\n')}`;
}
