import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../admission/types.js';
import { findResource, type ResourceType } from '../resources.js';
import type { KubeObject } from '../storage.js';
import { conditionsMatch, expressionCauses, toCel } from './cel.js';
import { validatePolicies, type PolicyContext } from './policies.js';

const deployments = findResource('apps', 'v1', 'deployments') as ResourceType;
const deployment = (replicas: number): KubeObject => ({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { replicas } });

function policy(spec: Record<string, unknown>): KubeObject {
  return {
    metadata: { name: 'max-replicas' },
    spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] }, validations: [{ expression: 'object.spec.replicas <= 5' }], ...spec },
  };
}
const binding = (spec: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 'max-replicas-binding' }, spec: { policyName: 'max-replicas', validationActions: ['Deny'], ...spec } });

function run(policies: KubeObject[], bindings: KubeObject[], object: KubeObject, params: KubeObject[] = []) {
  const warnings: string[] = [];
  const annotations: Record<string, string> = {};
  const attrs: AdmissionAttributes = {
    user: { name: 'alice', groups: [] },
    operation: 'CREATE',
    type: deployments,
    subresource: '',
    namespace: 'default',
    name: 'web',
    object,
    warn: (w) => warnings.push(w),
    annotate: (k, v) => (annotations[k] = v),
  };
  const ctx: PolicyContext = {
    namespaceLabels: () => ({}),
    namespaceObject: () => ({ metadata: { name: 'default' } }),
    params: async () => params,
    celVariables: (a) => ({ object: toCel(a.object), oldObject: null, request: toCel({ operation: a.operation, namespace: a.namespace }) }),
  };
  return { result: validatePolicies(policies, bindings, attrs, ctx), warnings, annotations };
}

describe('ValidatingAdmissionPolicy', () => {
  it('denies what a validation rejects, with upstream\'s message and a 422 Invalid by default', async () => {
    await expect(run([policy({})], [binding()], deployment(6)).result).rejects.toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: failed expression: object.spec.replicas <= 5`,
    });
    await expect(run([policy({})], [binding()], deployment(5)).result).resolves.toBeUndefined();
  });

  it('uses message, messageExpression and reason', async () => {
    const validations = [{ expression: 'object.spec.replicas <= 5', message: 'too many', messageExpression: "'at most 5, got ' + string(object.spec.replicas)", reason: 'Forbidden' }];
    await expect(run([policy({ validations })], [binding()], deployment(7)).result).rejects.toMatchObject({ code: 403, reason: 'Forbidden', message: expect.stringContaining('denied request: at most 5, got 7') });
    const plain = [{ expression: 'object.spec.replicas <= 5', message: 'too many' }];
    await expect(run([policy({ validations: plain })], [binding()], deployment(7)).result).rejects.toThrow('denied request: too many');
  });

  it('warns and audits instead of denying, as the binding\'s validationActions say', async () => {
    const { result, warnings, annotations } = run([policy({})], [binding({ validationActions: ['Warn', 'Audit'] })], deployment(9));
    await expect(result).resolves.toBeUndefined();
    expect(warnings).toEqual(["Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding': failed expression: object.spec.replicas <= 5"]);
    expect(JSON.parse(annotations['validation.policy.admission.k8s.io/validation_failure'] as string)).toEqual([
      { message: 'failed expression: object.spec.replicas <= 5', policy: 'max-replicas', binding: 'max-replicas-binding', expressionIndex: 0, validationActions: ['Warn', 'Audit'] },
    ]);
  });

  it('reads its limit from the parameter object, and denies when none is found with parameterNotFoundAction Deny', async () => {
    const withParams = policy({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, validations: [{ expression: 'object.spec.replicas <= int(params.data.max)' }] });
    const ref = binding({ paramRef: { name: 'limit', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    const limit = { metadata: { name: 'limit' }, data: { max: '3' } };
    await expect(run([withParams], [ref], deployment(4), [limit]).result).rejects.toThrow('failed expression: object.spec.replicas <= int(params.data.max)');
    await expect(run([withParams], [ref], deployment(3), [limit]).result).resolves.toBeUndefined();
    await expect(run([withParams], [ref], deployment(1), []).result).rejects.toThrow('no params found for policy binding with `Deny` parameterNotFoundAction');
    const allow = binding({ paramRef: { name: 'limit', namespace: 'default', parameterNotFoundAction: 'Allow' } });
    await expect(run([withParams], [allow], deployment(1), []).result).resolves.toBeUndefined();
  });

  it('follows failurePolicy when an expression fails to evaluate', async () => {
    const broken = [{ expression: 'object.spec.missing > 1' }];
    await expect(run([policy({ validations: broken })], [binding()], deployment(1)).result).rejects.toThrow("expression 'object.spec.missing > 1' resulted in error: ");
    await expect(run([policy({ validations: broken, failurePolicy: 'Ignore' })], [binding()], deployment(1)).result).resolves.toBeUndefined();
  });

  it('applies only where matchConstraints, the binding\'s matchResources and matchConditions all match', async () => {
    const other = { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['statefulsets'] }] };
    await expect(run([policy({ matchConstraints: other })], [binding()], deployment(9)).result).resolves.toBeUndefined();
    await expect(run([policy({})], [binding({ matchResources: { objectSelector: { matchLabels: { app: 'api' } } } })], deployment(9)).result).resolves.toBeUndefined();
    await expect(run([policy({ matchConditions: [{ name: 'big', expression: 'object.spec.replicas > 100' }] })], [binding()], deployment(9)).result).resolves.toBeUndefined();
    await expect(run([policy({ variables: [{ name: 'limit', expression: '5' }], validations: [{ expression: 'object.spec.replicas <= variables.limit' }] })], [binding()], deployment(9)).result).rejects.toThrow('failed expression');
  });
});

describe('matchConditions (upstream matchconditions.Matcher)', () => {
  const vars = { object: toCel({ metadata: { name: 'x' } }) };
  it.each([
    ['all true', ['true', 'object.metadata.name == "x"'], 'Fail', { matches: true }],
    ['one false', ['true', 'false'], 'Fail', { matches: false }],
    ['false wins over an error', ['object.nope == 1', 'false'], 'Fail', { matches: false }],
    ['an error under Ignore', ['object.nope == 1'], 'Ignore', { matches: false }],
  ])('%s', async (_what, expressions, failurePolicy, expected) => {
    expect(await conditionsMatch(expressions.map((expression, i) => ({ name: `c${i}`, expression })), vars, failurePolicy)).toEqual(expected);
  });

  it('is an error under Fail when a condition cannot be evaluated', async () => {
    const result = await conditionsMatch([{ name: 'bad', expression: 'object.nope == 1' }], vars, 'Fail');
    expect(result.matches).toBe(false);
    expect(result.error).toMatch(/^bad: /);
  });
});

describe('expressions of admission configurations, checked on write', () => {
  it('names each expression that does not compile by its field', async () => {
    const bad = policy({ validations: [{ expression: 'object.spec.replicas <= 5' }, { expression: 'object.spec.replicas <=', messageExpression: "'ok'" }], matchConditions: [{ name: 'c', expression: 'true &&' }] });
    const causes = await expressionCauses('ValidatingAdmissionPolicy', bad);
    expect(causes.map((c) => c.field)).toEqual(['spec.validations[1].expression', 'spec.matchConditions[0].expression']);
    expect(causes[0]?.message).toMatch(/^Invalid value: "object.spec.replicas <=": compilation failed: /);
    const hooks = { webhooks: [{ matchConditions: [{ name: 'ok', expression: "quantity('1Gi') != null" }, { name: 'bad', expression: '(' }] }] };
    expect((await expressionCauses('ValidatingWebhookConfiguration', hooks)).map((c) => c.field)).toEqual(['webhooks[0].matchConditions[1].expression']);
  });
});
