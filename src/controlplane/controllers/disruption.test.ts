import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { evictionDecision, validatePodDisruptionBudget } from '../apiserver/eviction.js';
import { ApiError } from '../apiserver/status.js';
import { disruptionController, pdbStatus, type PodDisruptionBudget } from './disruption.js';
import type { WorkloadPod } from './workloads.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const pdb = (spec: PodDisruptionBudget['spec'], status?: Partial<NonNullable<PodDisruptionBudget['status']>>): PodDisruptionBudget => ({
  apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default', generation: 1 },
  spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  ...(status ? { status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, observedGeneration: 1, ...status } } : {}),
});
const pod = (name: string, ready = true, extra: Partial<WorkloadPod['metadata']> = {}): WorkloadPod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs', controller: true }], ...extra },
  spec: { nodeName: 'w1' }, status: { phase: 'Running', conditions: ready ? [{ type: 'Ready', status: 'True' }] : [] },
});
const rsScale = (replicas: number) => () => ({ key: 'rs', replicas });

describe('PodDisruptionBudget status (disruption controller math)', () => {
  it('minAvailable as a number: expected = selected pods, allowed = healthy - minAvailable', () => {
    const { status } = pdbStatus(pdb({ minAvailable: 2 }), [pod('a'), pod('b'), pod('c'), pod('d', false)], rsScale(4), T0);
    expect(status).toMatchObject({ expectedPods: 4, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, observedGeneration: 1 });
    expect(status.conditions?.[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' });
  });

  it('minAvailable as a percentage rounds up against the controller scale', () => {
    expect(pdbStatus(pdb({ minAvailable: '50%' }), [pod('a'), pod('b'), pod('c')], rsScale(3), T0).status).toMatchObject({ expectedPods: 3, desiredHealthy: 2, disruptionsAllowed: 1 });
  });

  it('maxUnavailable counts from the scale, not from the pods that happen to exist', () => {
    expect(pdbStatus(pdb({ maxUnavailable: 1 }), [pod('a'), pod('b')], rsScale(3), T0).status).toMatchObject({ expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 });
    expect(pdbStatus(pdb({ maxUnavailable: '34%' }), [pod('a'), pod('b'), pod('c')], rsScale(3), T0).status).toMatchObject({ desiredHealthy: 1, disruptionsAllowed: 2 });
  });

  it('fails safe (no disruption) when a pod has no controller with a scale', () => {
    const { status } = pdbStatus(pdb({ maxUnavailable: 1 }), [pod('a')], () => undefined, T0);
    expect(status).toMatchObject({ disruptionsAllowed: 0, conditions: [{ status: 'False', reason: 'SyncFailed' }] });
  });

  it('does not count a pod just evicted as healthy until it goes, and forgets it after 2 minutes', () => {
    const budget = pdb({ minAvailable: 1 }, { disruptedPods: { a: iso(T0) } });
    expect(pdbStatus(budget, [pod('a'), pod('b')], rsScale(2), T0 + 1000)).toMatchObject({ status: { currentHealthy: 1, disruptionsAllowed: 0, disruptedPods: { a: iso(T0) } }, requeueAfterMs: 119_000 });
    expect(pdbStatus(budget, [pod('a'), pod('b')], rsScale(2), T0 + 120_000).status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1 });
    expect(pdbStatus(budget, [pod('b')], rsScale(2), T0 + 1000).status.disruptedPods).toBeUndefined();
  });
});

describe('eviction decisions (pods/eviction)', () => {
  const decided = (budget: PodDisruptionBudget, p = pod('a')) => {
    const d = evictionDecision(budget as never, p as never);
    return d instanceof ApiError ? `${d.code} ${d.details?.causes?.[0]?.message ?? d.message}` : d;
  };

  it('spends a disruption when one is allowed', () => {
    expect(decided(pdb({ minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 }))).toBe('spend');
  });

  it('refuses with 429 TooManyRequests, naming the budget, when none is allowed', () => {
    expect(decided(pdb({ minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 }))).toBe('429 The disruption budget web needs 2 healthy pods and has 2 currently');
  });

  it('refuses with 429 while the budget\'s status is older than its spec', () => {
    expect(decided({ ...pdb({ minAvailable: 1 }, { disruptionsAllowed: 5 }), metadata: { name: 'web', namespace: 'default', generation: 2 } })).toBe('429 The disruption budget web is still being processed by the server.');
  });

  it('lets an unready pod go without spending when the budget is healthy, or with AlwaysAllow', () => {
    expect(decided(pdb({ minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 }), pod('x', false))).toBe('delete');
    expect(decided(pdb({ minAvailable: 3 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 3 }), pod('x', false))).toMatch(/^429/);
    expect(decided({ ...pdb({ minAvailable: 3 }, { currentHealthy: 1, desiredHealthy: 3 }), spec: { minAvailable: 3, unhealthyPodEvictionPolicy: 'AlwaysAllow' } as never }, pod('x', false))).toBe('delete');
  });

  it('validates the budget as upstream: not both fields, no negative numbers, percentages up to 100%', () => {
    const fields = (spec: Record<string, unknown>) => validatePodDisruptionBudget({ spec } as never).map((c) => `${c.field}: ${c.message}`);
    expect(fields({ minAvailable: 1, maxUnavailable: 1 })).toEqual([expect.stringContaining('spec: Invalid value') ]);
    expect(fields({ minAvailable: -1 })).toEqual(['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
    expect(fields({ maxUnavailable: '120%' })).toEqual(['spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%']);
    expect(fields({ minAvailable: '50%' })).toEqual([]);
  });
});

describe('disruption controller loop (FakeApi)', () => {
  afterEach(stopFakes);

  it('writes the status of a budget over a Deployment\'s pods and follows a pod becoming unready', async () => {
    const api = new FakeApi();
    api.put(ref('deployments', 'default'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'dep' }, spec: { replicas: 2 } } as never);
    api.put(ref('replicasets', 'default'), { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'default', uid: 'rs', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'dep', controller: true }] }, spec: { replicas: 2, selector: {}, template: { spec: {} } } } as never);
    api.put(ref('pods', 'default'), pod('a'));
    api.put(ref('pods', 'default'), pod('b'));
    api.put(ref('poddisruptionbudgets', 'default'), pdb({ maxUnavailable: 1 }));
    runAgainstFake(api, disruptionController);
    const status = () => api.find<PodDisruptionBudget>(ref('poddisruptionbudgets'), 'default', 'web')?.status;
    await eventually(() => status()?.disruptionsAllowed === 1, 5000, 'one disruption allowed');
    expect(status()).toMatchObject({ expectedPods: 2, desiredHealthy: 1, currentHealthy: 2 });
    api.put(ref('pods', 'default'), pod('b', false));
    await eventually(() => status()?.disruptionsAllowed === 0, 5000, 'none allowed');
  });
});
