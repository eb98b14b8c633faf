import { describe, expect, it } from 'vitest';
import { findResource, type ResourceType } from '../resources.js';
import { exemptFromDynamicAdmission, matchingType, namespaceSelectorMatches, objectSelectorMatches, ruleMatches, type MatchRequest } from './matching.js';

const type = (group: string, version: string, plural: string) => findResource(group, version, plural) as ResourceType;
const pods = type('', 'v1', 'pods');
const request = (over: Partial<MatchRequest> = {}): MatchRequest => ({ type: pods, subresource: '', operation: 'CREATE', namespace: 'default', name: 'p', ...over });
const rule = (over: Record<string, unknown> = {}) => ({ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], ...over });

describe('webhook rules (upstream predicates/rules)', () => {
  it.each([
    ['the exact resource', rule(), request(), true],
    ['another operation', rule({ operations: ['UPDATE'] }), request(), false],
    ['operations *', rule({ operations: ['*'] }), request({ operation: 'DELETE' }), true],
    ['resources * (not a subresource)', rule({ resources: ['*'] }), request({ subresource: 'status' }), false],
    ['pods/*: every subresource', rule({ resources: ['pods/*'] }), request({ subresource: 'exec', operation: 'CONNECT' }), false],
    ['pods/* with CONNECT', rule({ resources: ['pods/*'], operations: ['CONNECT'] }), request({ subresource: 'exec', operation: 'CONNECT' }), true],
    ['*/status', rule({ resources: ['*/status'], operations: ['UPDATE'] }), request({ subresource: 'status', operation: 'UPDATE' }), true],
    ['pods does not match pods/status', rule({ operations: ['UPDATE'] }), request({ subresource: 'status', operation: 'UPDATE' }), false],
    ['another group', rule({ apiGroups: ['apps'] }), request(), false],
    ['scope Namespaced, namespaced request', rule({ scope: 'Namespaced' }), request(), true],
    ['scope Cluster, namespaced request', rule({ scope: 'Cluster' }), request(), false],
    ['scope Cluster, a namespace (cluster-scoped though named)', rule({ scope: 'Cluster', resources: ['namespaces'], operations: ['UPDATE'] }), request({ type: type('', 'v1', 'namespaces'), namespace: 'ns', operation: 'UPDATE' }), true],
    ['scope Namespaced, a namespace', rule({ scope: 'Namespaced', resources: ['namespaces'], operations: ['UPDATE'] }), request({ type: type('', 'v1', 'namespaces'), namespace: 'ns', operation: 'UPDATE' }), false],
    ['resourceNames (policies)', rule({ resourceNames: ['other'] }), request(), false],
  ])('%s', (_what, r, req, expected) => {
    expect(ruleMatches(r, req)).toBe(expected);
  });

  it('with matchPolicy Equivalent, a rule for another served version matches and names that version', () => {
    const hpaV2 = type('autoscaling', 'v2', 'horizontalpodautoscalers');
    const v1Rule = { apiGroups: ['autoscaling'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['horizontalpodautoscalers'] };
    const req = request({ type: hpaV2 });
    expect(matchingType([v1Rule], 'Equivalent', req)).toBe(type('autoscaling', 'v1', 'horizontalpodautoscalers'));
    expect(matchingType([v1Rule], 'Exact', req)).toBeUndefined();
    expect(matchingType([{ ...v1Rule, apiVersions: ['*'] }], 'Equivalent', req)).toBe(hpaV2);
  });
});

describe('namespace and object selectors', () => {
  const labels: Record<string, Record<string, string>> = { team: { env: 'prod' }, bare: {} };
  const lookup = (name: string) => labels[name];
  const prod = { matchLabels: { env: 'prod' } };

  it('matches the labels of the request\'s namespace', () => {
    expect(namespaceSelectorMatches(prod, request({ namespace: 'team' }), lookup)).toBe(true);
    expect(namespaceSelectorMatches(prod, request({ namespace: 'bare' }), lookup)).toBe(false);
    expect(namespaceSelectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, request({ namespace: 'bare' }), lookup)).toBe(true);
  });

  it('always matches cluster-scoped requests other than namespaces, and an empty selector everything', () => {
    expect(namespaceSelectorMatches(prod, request({ type: type('', 'v1', 'nodes'), namespace: '' }), lookup)).toBe(true);
    expect(namespaceSelectorMatches({}, request({ namespace: 'missing' }), lookup)).toBe(true);
  });

  it('judges a namespace being created by the labels it is given', () => {
    const ns = type('', 'v1', 'namespaces');
    expect(namespaceSelectorMatches(prod, request({ type: ns, namespace: '', object: { metadata: { name: 'new', labels: { env: 'prod' } } } }), lookup)).toBe(true);
    expect(namespaceSelectorMatches(prod, request({ type: ns, namespace: '', object: { metadata: { name: 'new' } } }), lookup)).toBe(false);
  });

  it('answers 404 for a namespace that does not exist', () => {
    expect(() => namespaceSelectorMatches(prod, request({ namespace: 'missing' }), lookup)).toThrow('namespaces "missing" not found');
  });

  it('matches the new or the old object\'s labels', () => {
    const selector = { matchLabels: { app: 'web' } };
    expect(objectSelectorMatches(selector, request({ object: { metadata: { labels: { app: 'web' } } } }))).toBe(true);
    expect(objectSelectorMatches(selector, request({ operation: 'DELETE', oldObject: { metadata: { labels: { app: 'web' } } } }))).toBe(true);
    expect(objectSelectorMatches(selector, request({ object: { metadata: {} } }))).toBe(false);
  });

  it('exempts the admission configuration kinds themselves', () => {
    expect(exemptFromDynamicAdmission(type('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations'))).toBe(true);
    expect(exemptFromDynamicAdmission(pods)).toBe(false);
  });
});
