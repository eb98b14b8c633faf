import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { deploymentController, deploymentRevision, deploymentStatus, deploymentStep, type Deployment } from './deployment.js';
import { newReplicaSetAnnotations } from './deployment-revision.js';
import { podsToDelete, replicaSetController } from './replicaset.js';
import { podTemplateHash, POD_TEMPLATE_HASH, type ReplicaSet, type WorkloadPod } from './workloads.js';

const REV = 'deployment.kubernetes.io/revision';
const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } });
const deployment = (image: string, extra: Partial<Deployment['spec']> = {}, annotations?: Record<string, string>): Deployment => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1, annotations },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template(image), ...extra },
});
const rs = (image: string, replicas: number, revision: string, extra: Record<string, string> = {}): ReplicaSet => {
  const hash = podTemplateHash(template(image));
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: `web-${hash}`, namespace: 'default', uid: `rs-${hash}`, creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'web', [POD_TEMPLATE_HASH]: hash }, annotations: { [REV]: revision, ...extra }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] },
    spec: { replicas, selector: { matchLabels: { app: 'web', [POD_TEMPLATE_HASH]: hash } }, template: template(image) },
    status: { replicas, availableReplicas: replicas, readyReplicas: replicas },
  };
};

describe('deployment revisions (upstream SetNewReplicaSetAnnotations)', () => {
  it('gives an old ReplicaSet that becomes new again (rollout undo) the next revision and keeps the former one in revision-history', () => {
    const step = deploymentStep(deployment('v1'), [rs('v1', 0, '1'), rs('v2', 2, '2')]);
    expect(step.update?.metadata.annotations).toMatchObject({ [REV]: '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(step.scale).toEqual([]);
    const again = newReplicaSetAnnotations(undefined, { [REV]: '3', 'deployment.kubernetes.io/revision-history': '1' }, 4);
    expect(again).toMatchObject({ [REV]: '5', 'deployment.kubernetes.io/revision-history': '1,3' });
  });

  it('never lowers the revision of the new ReplicaSet', () => {
    expect(newReplicaSetAnnotations(undefined, { [REV]: '7' }, 2)[REV]).toBe('7');
  });

  it('copies the Deployment annotations (change-cause) but not its revision or last-applied configuration', () => {
    const annotations = newReplicaSetAnnotations({ 'kubernetes.io/change-cause': 'kubectl set image', [REV]: '9', 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, undefined, 1);
    expect(annotations).toEqual({ 'kubernetes.io/change-cause': 'kubectl set image', [REV]: '2' });
  });

  it('keeps minReadySeconds of the new ReplicaSet in step with the Deployment', () => {
    expect(deploymentStep(deployment('v2', { minReadySeconds: 5 }), [rs('v2', 2, '1')]).update?.spec.minReadySeconds).toBe(5);
  });

  it("writes the new ReplicaSet's revision on the Deployment", () => {
    expect(deploymentRevision(deployment('v2'), [rs('v1', 0, '1'), rs('v2', 2, '2')])).toBe('2');
    expect(deploymentRevision(deployment('v2', {}, { [REV]: '2' }), [rs('v1', 0, '1'), rs('v2', 2, '2')])).toBeUndefined();
  });
});

describe('paused deployments', () => {
  it('creates no new ReplicaSet for a new template but follows a scale change', () => {
    expect(deploymentStep(deployment('v2', { paused: true }), [rs('v1', 2, '1')])).toEqual({ scale: [] });
    expect(deploymentStep(deployment('v2', { paused: true, replicas: 4 }), [rs('v1', 2, '1')])).toEqual({ scale: [{ name: rs('v1', 0, '1').metadata.name, replicas: 4 }] });
  });

  it('reports Progressing Unknown DeploymentPaused, then DeploymentResumed', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const paused = deployment('v2', { paused: true });
    const status = deploymentStatus(paused, [rs('v1', 2, '1')], now, false);
    expect(status.conditions?.[1]).toMatchObject({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    const resumed = deploymentStatus({ ...deployment('v2'), status }, [rs('v1', 2, '1')], now, false);
    expect(resumed.conditions?.[1]).toMatchObject({ status: 'Unknown', reason: 'DeploymentResumed' });
  });

  it('does not hide a reported timeout behind a pause', () => {
    const d = deployment('v2', { paused: true });
    const status = { replicas: 2, updatedReplicas: 0, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'x', lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
    expect(deploymentStatus({ ...d, status }, [rs('v1', 2, '1')], new Date(), false).conditions?.[1]?.reason).toBe('ProgressDeadlineExceeded');
  });
});

describe('replicaset scale-down order (upstream ActivePodsWithRanks)', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  const pod = (name: string, o: { node?: string; ready?: string; cost?: string; restarts?: number; created?: string } = {}): WorkloadPod => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, uid: name, namespace: 'default', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', annotations: o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined },
    spec: { nodeName: o.node ?? 'n1' },
    status: { phase: 'Running', conditions: o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: o.ready }] : [], containerStatuses: [{ restartCount: o.restarts ?? 0 }] } as WorkloadPod['status'],
  });

  it('deletes the lower pod-deletion-cost first among equally ready pods', () => {
    const pods = [pod('expensive', { ready: '2026-01-01T00:00:00Z', cost: '100' }), pod('cheap', { ready: '2026-01-01T00:00:00Z', cost: '-5' })];
    expect(podsToDelete(pods, 1, pods, now).map((p) => p.metadata.name)).toEqual(['cheap']);
  });

  it('deletes a pod doubled up on a node with its siblings before a pod alone on its node', () => {
    const alone = pod('alone', { node: 'n2', ready: '2026-01-01T00:00:00Z' });
    const crowded = pod('crowded', { node: 'n1', ready: '2026-01-01T00:00:00Z' });
    const sibling = pod('sibling-of-other-rs', { node: 'n1', ready: '2026-01-01T00:00:00Z' });
    expect(podsToDelete([alone, crowded], 1, [alone, crowded, sibling], now).map((p) => p.metadata.name)).toEqual(['crowded']);
  });

  it('deletes the pod ready for less time, then the one with more restarts, then the newer one', () => {
    const readyLong = pod('ready-long', { ready: '2025-12-01T00:00:00Z' });
    const readyShort = pod('ready-short', { ready: '2026-01-01T23:59:00Z' });
    expect(podsToDelete([readyLong, readyShort], 1, [], now).map((p) => p.metadata.name)).toEqual(['ready-short']);
    const restarted = pod('restarted', { restarts: 3 });
    const calm = pod('calm');
    expect(podsToDelete([calm, restarted], 1, [], now).map((p) => p.metadata.name)).toEqual(['restarted']);
    const older = pod('older', { created: '2025-06-01T00:00:00Z' });
    const newer = pod('newer', { created: '2026-01-01T23:00:00Z' });
    expect(podsToDelete([older, newer], 1, [], now).map((p) => p.metadata.name)).toEqual(['newer']);
  });
});

describe('deployment rollout, undo, pause (loops against the in-memory FakeApi)', () => {
  afterEach(stopFakes);

  it('set image → revision 2, undo → the first ReplicaSet becomes revision 3, old ones pruned beyond revisionHistoryLimit', async () => {
    const api = new FakeApi();
    const ctx = runAgainstFake(api, deploymentController, replicaSetController);
    const ready = setInterval(() => {
      for (const p of api.all<WorkloadPod>(ref('pods'))) if (!p.status?.conditions?.length) api.put(ref('pods'), { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    }, 10);
    ctx.signal.addEventListener('abort', () => clearInterval(ready));
    const get = () => api.find<Deployment & KubeObject>(ref('deployments'), 'default', 'web')!;
    const done = (generation: number) => () => {
      const d = get();
      return d.status?.observedGeneration === generation && d.status.updatedReplicas === 2 && d.status.replicas === 2 && d.status.availableReplicas === 2;
    };
    const setTemplate = (image: string, generation: number, annotations?: Record<string, string>) => {
      const d = get();
      api.put(ref('deployments'), { ...d, metadata: { ...d.metadata, generation, annotations: annotations ?? d.metadata.annotations }, spec: { ...d.spec, template: template(image) } } as KubeObject);
    };
    api.put(ref('deployments'), deployment('v1', { revisionHistoryLimit: 1 }) as unknown as KubeObject);
    await eventually(done(1), 5000, 'first rollout');
    await eventually(() => get().metadata.annotations?.[REV] === '1', 5000, 'revision 1 on the Deployment');
    setTemplate('v2', 2, { ...get().metadata.annotations, 'kubernetes.io/change-cause': 'set image v2' });
    await eventually(() => done(2)() && get().metadata.annotations?.[REV] === '2', 5000, 'second rollout');
    const byImage = (image: string) => api.find<ReplicaSet>(ref('replicasets'), 'default', `web-${podTemplateHash(template(image))}`);
    expect(byImage('v2')?.metadata.annotations?.['kubernetes.io/change-cause']).toBe('set image v2');
    // What `kubectl rollout undo` does: the previous ReplicaSet's template and annotations back on the Deployment.
    setTemplate('v1', 3, { [REV]: '2' });
    await eventually(() => done(3)() && get().metadata.annotations?.[REV] === '3', 5000, 'undo');
    expect(byImage('v1')?.metadata.annotations).toMatchObject({ [REV]: '3', 'deployment.kubernetes.io/revision-history': '1' });
    setTemplate('v3', 4);
    await eventually(() => done(4)() && api.all(ref('replicasets')).length === 2, 5000, 'third rollout and pruning');
    expect(byImage('v2')).toBeUndefined();
    expect(api.all<WorkloadPod>(ref('pods')).filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(2);
  });

  it('a paused Deployment rolls nothing out until resumed', async () => {
    const api = new FakeApi();
    runAgainstFake(api, deploymentController, replicaSetController);
    api.put(ref('deployments'), deployment('v1') as unknown as KubeObject);
    await eventually(() => api.all(ref('replicasets')).length === 1);
    const d = api.find<Deployment & KubeObject>(ref('deployments'), 'default', 'web')!;
    api.put(ref('deployments'), { ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, paused: true, template: template('v2') } } as KubeObject);
    await eventually(() => api.find<Deployment & KubeObject>(ref('deployments'), 'default', 'web')?.status?.conditions?.[1]?.reason === 'DeploymentPaused', 5000, 'paused condition');
    expect(api.all(ref('replicasets'))).toHaveLength(1);
    const paused = api.find<Deployment & KubeObject>(ref('deployments'), 'default', 'web')!;
    api.put(ref('deployments'), { ...paused, metadata: { ...paused.metadata, generation: 3 }, spec: { ...paused.spec, paused: false } } as KubeObject);
    await eventually(() => api.all(ref('replicasets')).length === 2, 5000, 'the rollout after resume');
  });
});
