import { describe, expect, it } from 'vitest';
import { breakdownRule, compactRule, escalationError, ruleCovers, uncoveredRules } from './escalation.js';
import type { PolicyRule } from './rbac.js';

const r = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({ verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) });

describe('RBAC escalation checks (upstream Covers)', () => {
  it('breaks a rule into one verb × group × resource × name, and URLs into one verb × URL', () => {
    expect(breakdownRule(r(['get', 'list'], [''], ['pods'], ['a', 'b']))).toHaveLength(4);
    expect(breakdownRule({ verbs: ['get'], nonResourceURLs: ['/healthz', '/metrics'] })).toEqual([
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
  });

  it.each([
    ['* covers every verb, group and resource', r(['*'], ['*'], ['*']), r(['delete'], ['apps'], ['deployments']), true],
    ['*/status covers any status subresource', r(['update'], [''], ['*/status']), r(['update'], [''], ['pods/status']), true],
    ['*/status does not cover the resource itself', r(['update'], [''], ['*/status']), r(['update'], [''], ['pods']), false],
    ['an owner without names covers a named rule', r(['get'], [''], ['secrets']), r(['get'], [''], ['secrets'], ['x']), true],
    ['a named owner does not cover an unnamed rule', r(['get'], [''], ['secrets'], ['x']), r(['get'], [''], ['secrets']), false],
    ['a named owner covers the same name only', r(['get'], [''], ['secrets'], ['x']), r(['get'], [''], ['secrets'], ['y']), false],
    ['/api/* covers /api/v1', { verbs: ['get'], nonResourceURLs: ['/api/*'] }, { verbs: ['get'], nonResourceURLs: ['/api/v1'] }, true],
    ['/api does not cover /apis', { verbs: ['get'], nonResourceURLs: ['/api'] }, { verbs: ['get'], nonResourceURLs: ['/apis'] }, false],
    ['a resource rule does not cover a URL', r(['*'], ['*'], ['*']), { verbs: ['get'], nonResourceURLs: ['/metrics'] }, false],
  ])('%s', (_what, owner, sub, covered) => {
    expect(ruleCovers(owner as PolicyRule, sub as PolicyRule)).toBe(covered);
  });

  it('lists what is not covered in upstream CompactString form, sorted and deduplicated', () => {
    const owned = [r(['create'], ['rbac.authorization.k8s.io'], ['rolebindings'])];
    const wanted = [r(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }];
    expect(uncoveredRules(owned, wanted).map(compactRule)).toEqual(['{APIGroups:["*"], Resources:["*"], Verbs:["*"]}', '{NonResourceURLs:["*"], Verbs:["*"]}']);
    expect(escalationError({ name: 'jane', groups: ['system:authenticated'] }, owned, wanted)).toBe(
      'user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
    expect(escalationError({ name: 'bob', groups: [] }, [r(['*'], [''], ['pods'])], [r(['get', 'delete'], [''], ['pods'], ['a'])])).toBeUndefined();
  });
});
