import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import type { SchedulerNode } from '../scheduler/schedule.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { CONTROLLER_REVISION_HASH, daemonPod, daemonSetController, daemonSetStatus, manageDaemonPods, rollingUpdateStep, type DaemonSet } from './daemonset.js';
import { nodeShouldRunDaemonPod, targetNode } from './daemonset-placement.js';
import { currentRevision, revisionsToPrune, storeCurrentRevision, type ControllerRevision } from './history.js';
import type { WorkloadPod } from './workloads.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const node = (name: string, o: { labels?: Record<string, string>; taints?: Array<{ key: string; effect: string; value?: string }>; unschedulable?: boolean } = {}): SchedulerNode => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
  spec: { taints: o.taints ?? [], unschedulable: o.unschedulable }, status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
const daemonSet = (image = 'agent:1', extra: Partial<DaemonSet['spec']> = {}): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'kube-system', uid: 'ds-uid', generation: 1 },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, ...extra },
});
const pod = (name: string, nodeName: string, hash: string, o: { ready?: boolean; readySince?: string; phase?: string; created?: string; terminating?: boolean } = {}): WorkloadPod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'kube-system', labels: { app: 'agent', [CONTROLLER_REVISION_HASH]: hash }, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.terminating ? { deletionTimestamp: '2026-01-01T00:59:00Z' } : {}), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true }] },
  spec: { nodeName },
  status: { phase: o.phase ?? 'Running', conditions: o.ready === false ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z' }] },
});
const names = (pods: WorkloadPod[]) => pods.map((p) => p.metadata.name).sort();

describe('daemon pod placement (upstream NodeShouldRunDaemonPod)', () => {
  it('runs on every node, cordoned ones included (daemon pods tolerate unschedulable)', () => {
    expect(nodeShouldRunDaemonPod(daemonSet().spec.template, node('a', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }))).toEqual({ shouldRun: true, shouldContinueRunning: true });
  });

  it('keeps off a NoSchedule-tainted node it does not tolerate but lets a running pod stay; NoExecute evicts it', () => {
    const template = daemonSet().spec.template;
    expect(nodeShouldRunDaemonPod(template, node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }))).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(template, node('x', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] }))).toEqual({ shouldRun: false, shouldContinueRunning: false });
    const tolerant = { ...template, spec: { ...template.spec, tolerations: [{ operator: 'Exists' }] } };
    expect(nodeShouldRunDaemonPod(tolerant, node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })).shouldRun).toBe(true);
  });

  it('honours nodeSelector, required node affinity and nodeName', () => {
    const spec = daemonSet().spec.template;
    expect(nodeShouldRunDaemonPod({ ...spec, spec: { ...spec.spec, nodeSelector: { disk: 'ssd' } } }, node('a')).shouldRun).toBe(false);
    expect(nodeShouldRunDaemonPod({ ...spec, spec: { ...spec.spec, nodeSelector: { disk: 'ssd' } } }, node('b', { labels: { disk: 'ssd' } })).shouldRun).toBe(true);
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } };
    expect(nodeShouldRunDaemonPod({ ...spec, spec: { ...spec.spec, affinity } }, node('b', { labels: { zone: 'z2' } })).shouldRun).toBe(false);
    expect(nodeShouldRunDaemonPod({ ...spec, spec: { ...spec.spec, nodeName: 'a' } }, node('b')).shouldRun).toBe(false);
  });

  it('pins each pod to its node through required node affinity (matchFields), with the daemon tolerations', () => {
    const p = daemonPod(daemonSet('agent:1', { template: { metadata: { labels: { app: 'agent' } }, spec: { hostNetwork: true, containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }] } } } } } }), 'w1', 'h1');
    expect(p.spec.nodeName).toBeUndefined();
    expect((p.spec.affinity as { nodeAffinity: unknown }).nodeAffinity).toEqual({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['w1'] }] }] } });
    expect(targetNode(p)).toBe('w1');
    expect((p.spec.tolerations as Array<{ key: string; effect: string }>).map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule', 'node.kubernetes.io/network-unavailable:NoSchedule',
    ]);
    expect(p.metadata).toMatchObject({ generateName: 'agent-', labels: { app: 'agent', [CONTROLLER_REVISION_HASH]: 'h1' }, ownerReferences: [{ kind: 'DaemonSet', name: 'agent', controller: true }] });
  });
});

describe('daemon pod management (upstream manage)', () => {
  it('creates a pod on each node without one, deletes extra, failed and misplaced pods', () => {
    const tainted = node('x', { taints: [{ key: 'dedicated', effect: 'NoExecute' }] });
    const step = manageDaemonPods(daemonSet(), [node('a'), node('b'), node('c'), tainted], [
      pod('a-old', 'a', 'h', { created: '2026-01-01T00:00:00Z' }), pod('a-dup', 'a', 'h', { created: '2026-01-01T00:30:00Z' }),
      pod('b-failed', 'b', 'h', { phase: 'Failed' }), pod('x-1', 'x', 'h'),
    ], 'h', NOW);
    expect(step.create).toEqual(['c']);
    expect(names(step.delete)).toEqual(['a-dup', 'b-failed', 'x-1']);
  });

  it('does not recreate a failed pod while its node is in back-off', () => {
    const step = manageDaemonPods(daemonSet(), [node('b')], [pod('b-failed', 'b', 'h', { phase: 'Failed' })], 'h', NOW, () => true);
    expect(step).toEqual({ create: [], delete: [], failedOn: [] });
  });

  it('waits for a terminating pod to go before creating its replacement (no surge)', () => {
    expect(manageDaemonPods(daemonSet(), [node('a')], [pod('a-1', 'a', 'old', { terminating: true })], 'new', NOW)).toEqual({ create: [], delete: [], failedOn: [] });
  });
});

describe('daemonset rolling update (upstream rollingUpdate)', () => {
  const nodes = [node('a'), node('b'), node('c')];

  it('with maxUnavailable 1 deletes one old available pod at a time', () => {
    const pods = [pod('a-1', 'a', 'old'), pod('b-1', 'b', 'old'), pod('c-1', 'c', 'old')];
    expect(names(rollingUpdateStep(daemonSet(), nodes, pods, 'new', NOW).delete)).toEqual(['a-1']);
  });

  it('waits while a node is without its pod or its new pod is not yet available', () => {
    expect(rollingUpdateStep(daemonSet(), nodes, [pod('b-1', 'b', 'old'), pod('c-1', 'c', 'old')], 'new', NOW).delete).toEqual([]);
    expect(rollingUpdateStep(daemonSet(), nodes, [pod('a-2', 'a', 'new', { ready: false }), pod('b-1', 'b', 'old'), pod('c-1', 'c', 'old')], 'new', NOW).delete).toEqual([]);
    expect(names(rollingUpdateStep(daemonSet(), nodes, [pod('a-2', 'a', 'new'), pod('b-1', 'b', 'old'), pod('c-1', 'c', 'old')], 'new', NOW).delete)).toEqual(['b-1']);
  });

  it('replaces unavailable old pods at once, without counting them against maxUnavailable (as upstream)', () => {
    const pods = [pod('a-1', 'a', 'old', { ready: false }), pod('b-1', 'b', 'old', { ready: false }), pod('c-1', 'c', 'old'), pod('d-1', 'd', 'old')];
    expect(names(rollingUpdateStep(daemonSet(), [...nodes, node('d')], pods, 'new', NOW).delete)).toEqual(['a-1', 'b-1', 'c-1']);
  });

  it('honours minReadySeconds before counting a new pod available', () => {
    const ds = daemonSet('agent:1', { minReadySeconds: 600 });
    const olds = [pod('b-1', 'b', 'old'), pod('c-1', 'c', 'old')];
    expect(rollingUpdateStep(ds, nodes, [pod('a-2', 'a', 'new', { readySince: '2026-01-01T00:55:00Z' }), ...olds], 'new', NOW).delete).toEqual([]);
    expect(names(rollingUpdateStep(ds, nodes, [pod('a-2', 'a', 'new', { readySince: '2026-01-01T00:45:00Z' }), ...olds], 'new', NOW).delete)).toEqual(['b-1']);
  });

  it('with maxSurge starts the new pod beside the old one, then deletes the old one once the new is available', () => {
    const ds = daemonSet('agent:1', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const olds = [pod('a-1', 'a', 'old'), pod('b-1', 'b', 'old'), pod('c-1', 'c', 'old')];
    expect(rollingUpdateStep(ds, nodes, olds, 'new', NOW)).toEqual({ create: ['a'], delete: [] });
    expect(rollingUpdateStep(ds, nodes, [...olds, pod('a-2', 'a', 'new', { ready: false })], 'new', NOW)).toEqual({ create: [], delete: [] });
    const step = rollingUpdateStep(ds, nodes, [...olds, pod('a-2', 'a', 'new')], 'new', NOW);
    expect(step.create).toEqual(['b']);
    expect(names(step.delete)).toEqual(['a-1']);
    // manage keeps both while the new pod is not available, and drops the old once it is.
    expect(manageDaemonPods(ds, [node('a')], [pod('a-1', 'a', 'old'), pod('a-2', 'a', 'new', { ready: false, created: '2026-01-01T00:10:00Z' })], 'new', NOW).delete).toEqual([]);
  });

  it('counts desired, current, ready, available, updated and misscheduled pods', () => {
    const tainted = node('x', { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] });
    const status = daemonSetStatus(daemonSet(), [...nodes, tainted], [pod('a-2', 'a', 'new'), pod('b-1', 'b', 'old', { ready: false }), pod('x-1', 'x', 'old')], 'new', NOW);
    expect(status).toEqual({ desiredNumberScheduled: 3, currentNumberScheduled: 2, numberMisscheduled: 1, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 1, numberUnavailable: 2, observedGeneration: 1 });
  });
});

describe('ControllerRevisions (upstream controller/history)', () => {
  it('makes a revision per template, labelled for the owner selector, and reuses an old one with the next number', () => {
    const v1 = currentRevision(daemonSet('agent:1'), [], CONTROLLER_REVISION_HASH);
    expect(v1.created).toBe(true);
    expect(v1.revision).toMatchObject({ kind: 'ControllerRevision', revision: 1, metadata: { name: `agent-${v1.hash}`, labels: { app: 'agent', [CONTROLLER_REVISION_HASH]: v1.hash }, ownerReferences: [{ kind: 'DaemonSet', uid: 'ds-uid', controller: true }] } });
    expect(v1.revision.data).toEqual({ spec: { template: { ...daemonSet().spec.template, $patch: 'replace' } } });
    const v2 = currentRevision(daemonSet('agent:2'), [v1.revision], CONTROLLER_REVISION_HASH);
    expect(v2).toMatchObject({ created: true, revision: { revision: 2 } });
    const back = currentRevision(daemonSet('agent:1'), [v1.revision, v2.revision], CONTROLLER_REVISION_HASH);
    expect(back).toMatchObject({ created: false, renumbered: true, hash: v1.hash, revision: { revision: 3, metadata: { name: v1.revision.metadata.name } } });
    expect(currentRevision(daemonSet('agent:2'), [v1.revision, v2.revision], CONTROLLER_REVISION_HASH)).toMatchObject({ created: false, renumbered: false });
  });

  it('prunes unused revisions beyond revisionHistoryLimit, lowest first', () => {
    const revs: ControllerRevision[] = [1, 2, 3, 4].map((n) => ({ metadata: { name: `r${n}` }, revision: n }));
    expect(revisionsToPrune(daemonSet('x', { revisionHistoryLimit: 1 }), revs, new Set(['r4', 'r1'])).map((r) => r.metadata.name)).toEqual(['r2']);
  });
});

describe('daemonset loop (against the in-memory FakeApi; pods scheduled and made Ready by the test)', () => {
  afterEach(stopFakes);

  it('runs one pod per node, follows a new node, and rolls a new template out one node at a time', async () => {
    const api = new FakeApi();
    const ctx = runAgainstFake(api, daemonSetController);
    let maxUnavailable = 0;
    const agent = setInterval(() => {
      const live = api.all<WorkloadPod>(ref('pods'));
      for (const p of live) if (!p.spec.nodeName) api.put(ref('pods'), { ...p, spec: { ...p.spec, nodeName: targetNode(p) }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
      const ds = api.find<DaemonSet & KubeObject>(ref('daemonsets'), 'kube-system', 'agent');
      if (ds?.status?.desiredNumberScheduled) maxUnavailable = Math.max(maxUnavailable, ds.status.desiredNumberScheduled - live.length);
    }, 5);
    ctx.signal.addEventListener('abort', () => clearInterval(agent));
    for (const n of ['a', 'b']) api.put(ref('nodes'), node(n));
    api.put(ref('daemonsets'), daemonSet() as KubeObject);
    const status = () => api.find<DaemonSet & KubeObject>(ref('daemonsets'), 'kube-system', 'agent')?.status;
    await eventually(() => status()?.numberAvailable === 2, 5000, 'two daemon pods');
    api.put(ref('nodes'), node('c'));
    await eventually(() => status()?.numberAvailable === 3 && status()?.desiredNumberScheduled === 3, 5000, 'a pod on the new node');
    expect(new Set(api.all<WorkloadPod>(ref('pods')).map((p) => p.spec.nodeName))).toEqual(new Set(['a', 'b', 'c']));
    const ds = api.find<DaemonSet & KubeObject>(ref('daemonsets'), 'kube-system', 'agent')!;
    api.put(ref('daemonsets'), { ...ds, metadata: { ...ds.metadata, generation: 2 }, spec: { ...ds.spec, template: daemonSet('agent:2').spec.template } } as KubeObject);
    await eventually(() => status()?.observedGeneration === 2 && status()?.updatedNumberScheduled === 3 && status()?.numberAvailable === 3, 8000, 'the rolling update');
    const images = api.all<WorkloadPod>(ref('pods')).map((p) => (p.spec.containers as Array<{ image: string }>)[0]!.image);
    expect(images).toEqual(['agent:2', 'agent:2', 'agent:2']);
    expect(maxUnavailable).toBeLessThanOrEqual(1);
    expect(api.all<ControllerRevision>(ref('controllerrevisions')).map((r) => r.revision).sort()).toEqual([1, 2]);
  });
});

describe('storing the current ControllerRevision', () => {
  it('takes a revision an earlier sync stored (the informer had not shown it yet) as its own: no hash collision', async () => {
    const api = new FakeApi();
    const ds = api.put(ref('daemonsets', 'kube-system'), daemonSet()) as DaemonSet;
    const first = await storeCurrentRevision(api, ds, ref('daemonsets', 'kube-system', 'agent', 'status'), [], CONTROLLER_REVISION_HASH);
    expect(first?.created).toBe(true);
    // The same template again while the owned list is still empty (a stale informer).
    const again = await storeCurrentRevision(api, ds, ref('daemonsets', 'kube-system', 'agent', 'status'), [], CONTROLLER_REVISION_HASH);
    expect(again?.hash).toBe(first!.hash);
    expect(again?.created).toBe(false);
    expect((await api.get<DaemonSet>(ref('daemonsets', 'kube-system', 'agent'))).status?.collisionCount).toBeUndefined();
  });

  it('counts a collision when the name holds a revision of other data', async () => {
    const api = new FakeApi();
    const ds = api.put(ref('daemonsets', 'kube-system'), daemonSet()) as DaemonSet;
    const first = await storeCurrentRevision(api, ds, ref('daemonsets', 'kube-system', 'agent', 'status'), [], CONTROLLER_REVISION_HASH);
    api.put(ref('controllerrevisions', 'kube-system'), { ...first!.revision, data: { spec: { template: { spec: { containers: [{ name: 'other', image: 'x' }] } } } } } as KubeObject);
    expect(await storeCurrentRevision(api, ds, ref('daemonsets', 'kube-system', 'agent', 'status'), [], CONTROLLER_REVISION_HASH)).toBeUndefined();
    expect((await api.get<DaemonSet>(ref('daemonsets', 'kube-system', 'agent'))).status?.collisionCount).toBe(1);
  });
});
