import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { addDefaultTolerations } from '../apiserver/default-toleration-seconds.js';
import type { Node, Taint } from './nodelifecycle.js';
import { planPodGC, podGCController } from './podgc.js';
import { evictionTime, taintEvictionController, tolerates, type Toleration } from './tainteviction.js';
import type { WorkloadPod } from './workloads.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const unreachable = (added = T0): Taint => ({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(added) });
const pod = (name: string, tolerations: Toleration[] | undefined, extra: Partial<WorkloadPod> = {}): WorkloadPod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: iso(T0) },
  spec: { nodeName: 'w1', ...(tolerations ? { tolerations } : {}) }, status: { phase: 'Running' }, ...extra,
});

describe('DefaultTolerationSeconds admission', () => {
  it('adds 300 s tolerations for not-ready and unreachable to a pod without them', () => {
    const p = { spec: {} as { tolerations?: Toleration[] } };
    addDefaultTolerations(p);
    expect(p.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it('keeps a pod\'s own toleration for a taint, and adds none to a pod tolerating everything', () => {
    const own = { spec: { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] } };
    addDefaultTolerations(own);
    expect(own.spec.tolerations.map((t) => `${t.key}=${t.tolerationSeconds}`)).toEqual(['node.kubernetes.io/unreachable=5', 'node.kubernetes.io/not-ready=300']);
    const all = { spec: { tolerations: [{ operator: 'Exists' }] as Toleration[] } };
    addDefaultTolerations(all);
    expect(all.spec.tolerations).toHaveLength(1);
  });
});

describe('taint eviction timing (fake clock)', () => {
  it('matches tolerations as upstream: Exists, Equal on value, effect', () => {
    expect(tolerates({ operator: 'Exists' }, unreachable())).toBe(true);
    expect(tolerates({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, unreachable())).toBe(false);
    expect(tolerates({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(true);
    expect(tolerates({ key: 'k', value: 'v' }, { key: 'k', value: 'w', effect: 'NoExecute' })).toBe(false);
  });

  it('evicts an intolerant pod at once, a tolerant one after tolerationSeconds from the taint, a forever-tolerant one never', () => {
    expect(evictionTime(pod('a', []), [unreachable()], T0)).toBe(Number.NEGATIVE_INFINITY);
    expect(evictionTime(pod('b', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]), [unreachable()], T0)).toBe(T0 + 5000);
    expect(evictionTime(pod('c', [{ operator: 'Exists' }]), [unreachable()], T0)).toBeUndefined();
    expect(evictionTime(pod('d', []), [{ key: 'x', effect: 'NoSchedule' }], T0)).toBeUndefined();
  });

  it('takes the smallest tolerationSeconds among matching tolerations, and a negative one as 0', () => {
    const both = [{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 10 }];
    expect(evictionTime(pod('e', both), [unreachable()], T0)).toBe(T0 + 10_000);
    expect(evictionTime(pod('f', [{ operator: 'Exists', tolerationSeconds: -5 }]), [unreachable()], T0)).toBe(T0);
  });
});

describe('taint eviction loop (FakeApi)', () => {
  afterEach(stopFakes);

  it('deletes the pods of a tainted node after their tolerationSeconds, with DisruptionTarget, and leaves other nodes alone', async () => {
    const api = new FakeApi();
    const node = (name: string, taints: Taint[]): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } });
    const added = Date.parse(iso(Date.now()));
    api.put(ref('nodes'), node('w1', [unreachable(added)]));
    api.put(ref('nodes'), node('w2', []));
    const short = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }];
    api.put(ref('pods', 'default'), pod('doomed', short));
    api.put(ref('pods', 'default'), pod('patient', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]));
    api.put(ref('pods', 'default'), { ...pod('elsewhere', []), spec: { nodeName: 'w2' } });
    runAgainstFake(api, taintEvictionController);
    await eventually(() => !api.find(ref('pods'), 'default', 'doomed'), 5000, 'eviction');
    expect(Date.now()).toBeGreaterThanOrEqual(added + 1000);
    const patched = api.calls.find((c) => c.method === 'PATCH' && c.path.endsWith('/doomed/status'));
    expect(patched?.body).toMatchObject({ status: { conditions: [{ type: 'DisruptionTarget', reason: 'DeletionByTaintManager' }] } });
    expect(api.find(ref('pods'), 'default', 'patient')).toBeDefined();
    expect(api.find(ref('pods'), 'default', 'elsewhere')).toBeDefined();
  });
});

describe('pod garbage collection', () => {
  afterEach(stopFakes);

  it('plans orphaned pods, unscheduled terminating pods and the oldest finished pods over the threshold', () => {
    const done = (name: string, created: number) => ({ ...pod(name, undefined), metadata: { ...pod(name, undefined).metadata, creationTimestamp: iso(created) }, status: { phase: 'Succeeded' } });
    const plan = planPodGC([pod('lost', undefined, { spec: { nodeName: 'gone' } }), { ...pod('stuck', undefined), spec: {}, metadata: { name: 'stuck', deletionTimestamp: iso(T0) } }, done('old', T0), done('new', T0 + 1000), done('newer', T0 + 2000)], (n) => n !== 'gone', 2);
    expect(plan.orphaned.map((p) => p.metadata.name)).toEqual(['lost']);
    expect(plan.unscheduledTerminating.map((p) => p.metadata.name)).toEqual(['stuck']);
    expect(plan.terminatedOverThreshold.map((p) => p.metadata.name)).toEqual(['old']);
    expect(planPodGC([done('old', T0)], () => true, 0).terminatedOverThreshold).toEqual([]);
  });

  it('marks a pod of a deleted node Failed and deletes it, once the API confirms the node is gone', async () => {
    const api = new FakeApi();
    api.on('PATCH', /\/status$/, () => ({}));
    api.put(ref('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' } });
    api.put(ref('pods', 'default'), pod('lost', undefined, { spec: { nodeName: 'gone' } }));
    api.put(ref('pods', 'default'), pod('home', undefined));
    runAgainstFake(api, podGCController({ terminatedPodThreshold: 12500, periodMs: 20 }));
    await eventually(() => !api.find(ref('pods'), 'default', 'lost'), 5000, 'collected');
    expect(api.calls.find((c) => c.method === 'PATCH')?.body).toMatchObject({ status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', reason: 'DeletionByPodGC' }] } });
    expect(api.find(ref('pods'), 'default', 'home')).toBeDefined();
  });
});
