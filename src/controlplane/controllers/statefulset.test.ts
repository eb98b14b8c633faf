import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { statefulPod, statefulSetController, statefulSetStatus, statefulSetStep, templateOf, type Revision, type StatefulSet } from './statefulset.js';
import { currentRevision, type ControllerRevision } from './history.js';
import type { WorkloadPod } from './workloads.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const template = (image: string) => ({ metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } });
const sts = (extra: Partial<StatefulSet['spec']> = {}, status?: StatefulSet['status']): StatefulSet => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default', uid: 'sts-uid', generation: 1 },
  spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db:1'), podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, ...extra },
  ...(status ? { status } : {}),
});
const v1: Revision = { name: 'db-v1', template: template('db:1') };
const v2: Revision = { name: 'db-v2', template: template('db:2') };
const pod = (ordinal: number, revision = v1, o: { ready?: boolean; phase?: string; terminating?: boolean } = {}): WorkloadPod => {
  const p = statefulPod(sts(), ordinal, revision);
  return {
    ...p,
    metadata: { ...p.metadata, creationTimestamp: '2026-01-01T00:00:00Z', ...(o.terminating ? { deletionTimestamp: '2026-01-01T00:59:00Z' } : {}) },
    status: { phase: o.phase ?? 'Running', conditions: o.ready === false ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
};
const created = (step: { create: WorkloadPod[] }) => step.create.map((p) => p.metadata.name);
const deleted = (step: { delete: WorkloadPod[] }) => step.delete.map((p) => p.metadata.name);

describe('statefulset pod identity', () => {
  it('names pods <sts>-<n> with hostname and subdomain = serviceName, and the pod-name, pod-index and revision labels', () => {
    const p = statefulPod(sts(), 1, v1);
    expect(p.metadata).toMatchObject({ name: 'db-1', labels: { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-1', 'apps.kubernetes.io/pod-index': '1', 'controller-revision-hash': 'db-v1' }, ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] });
    expect(p.spec).toMatchObject({ hostname: 'db-1', subdomain: 'db', containers: [{ image: 'db:1' }] });
  });

  it('restores the template from a ControllerRevision', () => {
    const { revision } = currentRevision(sts(), [], 'controller.kubernetes.io/hash');
    expect(templateOf(revision)).toEqual(template('db:1'));
  });
});

describe('OrderedReady', () => {
  it('creates db-0 first, and db-1 only once db-0 is Running and Ready', () => {
    expect(created(statefulSetStep(sts(), [], v1, v1, NOW))).toEqual(['db-0']);
    expect(created(statefulSetStep(sts(), [pod(0, v1, { ready: false })], v1, v1, NOW))).toEqual([]);
    expect(created(statefulSetStep(sts(), [pod(0, v1, { phase: 'Pending', ready: false })], v1, v1, NOW))).toEqual([]);
    expect(created(statefulSetStep(sts(), [pod(0)], v1, v1, NOW))).toEqual(['db-1']);
  });

  it('waits minReadySeconds after Ready before the next ordinal', () => {
    expect(created(statefulSetStep(sts({ minReadySeconds: 7200 }), [pod(0)], v1, v1, NOW))).toEqual([]);
  });

  it('deletes surplus pods highest ordinal first, one at a time, after the rest are healthy', () => {
    const all = [pod(0), pod(1), pod(2), pod(3), pod(4)];
    expect(deleted(statefulSetStep(sts(), all, v1, v1, NOW))).toEqual(['db-4']);
    expect(deleted(statefulSetStep(sts(), [pod(0), pod(1), pod(2), pod(3), pod(4, v1, { terminating: true })], v1, v1, NOW))).toEqual([]);
    expect(deleted(statefulSetStep(sts(), [pod(0), pod(1, v1, { ready: false }), pod(2), pod(3)], v1, v1, NOW))).toEqual([]);
  });

  it('deletes a failed pod so that the next sync recreates it', () => {
    expect(deleted(statefulSetStep(sts(), [pod(0), pod(1, v1, { phase: 'Failed', ready: false })], v1, v1, NOW))).toEqual(['db-1']);
  });
});

describe('Parallel', () => {
  it('creates every missing pod and deletes every surplus pod at once', () => {
    const parallel = sts({ podManagementPolicy: 'Parallel' });
    expect(created(statefulSetStep(parallel, [pod(1, v1, { ready: false })], v1, v1, NOW))).toEqual(['db-0', 'db-2']);
    expect(deleted(statefulSetStep({ ...parallel, spec: { ...parallel.spec, replicas: 1 } }, [pod(0), pod(1, v1, { ready: false }), pod(2)], v1, v1, NOW))).toEqual(['db-2', 'db-1']);
  });
});

describe('RollingUpdate', () => {
  it('replaces the highest ordinal first, one at a time, and waits for it to be healthy', () => {
    expect(deleted(statefulSetStep(sts(), [pod(0), pod(1), pod(2)], v1, v2, NOW))).toEqual(['db-2']);
    expect(created(statefulSetStep(sts(), [pod(0), pod(1)], v1, v2, NOW))).toEqual(['db-2']);
    expect(statefulSetStep(sts(), [pod(0), pod(1), pod(2)], v1, v2, NOW).create[0]).toBeUndefined();
    const recreated = statefulSetStep(sts(), [pod(0), pod(1)], v1, v2, NOW).create[0]!;
    expect(recreated.metadata.labels?.['controller-revision-hash']).toBe('db-v2');
    expect(deleted(statefulSetStep(sts(), [pod(0), pod(1), pod(2, v2, { ready: false })], v1, v2, NOW))).toEqual([]);
    expect(deleted(statefulSetStep(sts(), [pod(0), pod(1), pod(2, v2)], v1, v2, NOW))).toEqual(['db-1']);
  });

  it('leaves ordinals below the partition at the current revision, also when they are recreated', () => {
    const partitioned = sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect(deleted(statefulSetStep(partitioned, [pod(0), pod(1), pod(2, v2)], v1, v2, NOW))).toEqual([]);
    expect(statefulSetStep(partitioned, [pod(0)], v1, v2, NOW).create[0]?.metadata.labels?.['controller-revision-hash']).toBe('db-v1');
  });

  it('with OnDelete replaces nothing itself and recreates deleted pods at the update revision', () => {
    const onDelete = sts({ updateStrategy: { type: 'OnDelete' } });
    expect(statefulSetStep(onDelete, [pod(0), pod(1), pod(2)], v1, v2, NOW)).toEqual({ create: [], delete: [] });
    expect(statefulSetStep(onDelete, [pod(0), pod(2)], v1, v2, NOW).create[0]?.metadata.labels?.['controller-revision-hash']).toBe('db-v2');
  });

  it('reports current and updated replicas and completes the revision once every pod is updated and ready', () => {
    expect(statefulSetStatus(sts(), [pod(0), pod(1), pod(2, v2, { ready: false })], v1, v2, NOW)).toMatchObject({ replicas: 3, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 1, currentRevision: 'db-v1', updateRevision: 'db-v2' });
    expect(statefulSetStatus(sts(), [pod(0, v2), pod(1, v2), pod(2, v2)], v1, v2, NOW)).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'db-v2', updateRevision: 'db-v2' });
  });
});

describe('statefulset loop (against the in-memory FakeApi; pods made Ready by the test one at a time)', () => {
  afterEach(stopFakes);

  it('starts db-0..db-2 in order, rolls a new template from db-2 down, and scales down from the top', async () => {
    const api = new FakeApi();
    const ctx = runAgainstFake(api, statefulSetController);
    const order: string[] = [];
    const agent = setInterval(() => {
      for (const p of api.all<WorkloadPod>(ref('pods'))) {
        if (p.status?.phase === 'Running') continue;
        order.push(`${p.metadata.name}:${(p.spec.containers as Array<{ image: string }>)[0]!.image}`);
        expect(api.all<WorkloadPod>(ref('pods')).filter((o) => o.status?.phase !== 'Running')).toHaveLength(1);
        api.put(ref('pods'), { ...p, spec: { ...p.spec, nodeName: 'n' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
      }
    }, 5);
    ctx.signal.addEventListener('abort', () => clearInterval(agent));
    api.put(ref('statefulsets'), sts() as KubeObject);
    const status = () => api.find<StatefulSet & KubeObject>(ref('statefulsets'), 'default', 'db')?.status;
    await eventually(() => status()?.readyReplicas === 3, 5000, 'three ready pods');
    expect(order).toEqual(['db-0:db:1', 'db-1:db:1', 'db-2:db:1']);
    const first = status()!.currentRevision;
    const s = api.find<StatefulSet & KubeObject>(ref('statefulsets'), 'default', 'db')!;
    api.put(ref('statefulsets'), { ...s, metadata: { ...s.metadata, generation: 2 }, spec: { ...s.spec, template: template('db:2') } } as KubeObject);
    await eventually(() => status()?.observedGeneration === 2 && status()?.updatedReplicas === 3 && status()?.readyReplicas === 3 && status()?.currentRevision === status()?.updateRevision, 8000, 'the rolling update');
    expect(order.slice(3)).toEqual(['db-2:db:2', 'db-1:db:2', 'db-0:db:2']);
    expect(status()?.currentRevision).not.toBe(first);
    expect(api.all<ControllerRevision>(ref('controllerrevisions')).map((r) => r.revision).sort()).toEqual([1, 2]);
    const updated = api.find<StatefulSet & KubeObject>(ref('statefulsets'), 'default', 'db')!;
    api.put(ref('statefulsets'), { ...updated, spec: { ...updated.spec, replicas: 1 } } as KubeObject);
    await eventually(() => api.all(ref('pods')).length === 1, 5000, 'scale down');
    expect(api.all(ref('pods'))[0]?.metadata.name).toBe('db-0');
  });
});
