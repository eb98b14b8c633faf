import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { deploymentController, deploymentStatus, deploymentStep, resolveIntOrPercent, surgeAndUnavailable, type Deployment } from './deployment.js';
import { podFromTemplate, podsToDelete, replicaSetController, replicaSetDiff, replicaSetStatus } from './replicaset.js';
import { podTemplateHash, POD_TEMPLATE_HASH, type ReplicaSet, type WorkloadPod } from './workloads.js';

const template = (image = 'nginx:1') => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } });
const deployment = (replicas = 3, image = 'nginx:1', extra: Partial<Deployment['spec']> = {}): Deployment => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(image), ...extra },
});
const rsFor = (d: Deployment, replicas: number, availableReplicas: number, image = 'nginx:1', created = '2026-01-01T00:00:00Z'): ReplicaSet => {
  const hash = podTemplateHash(template(image));
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: `web-${hash}`, namespace: 'default', uid: `rs-${hash}`, creationTimestamp: created, labels: { app: 'web', [POD_TEMPLATE_HASH]: hash }, annotations: { 'deployment.kubernetes.io/revision': image === 'nginx:1' ? '1' : '2' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid!, controller: true }] },
    spec: { replicas, selector: { matchLabels: { app: 'web', [POD_TEMPLATE_HASH]: hash } }, template: template(image) },
    status: { replicas, availableReplicas: availableReplicas, readyReplicas: availableReplicas },
  };
};
const pod = (name: string, opts: { node?: string; phase?: string; ready?: boolean; created?: string } = {}): WorkloadPod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z' },
  spec: { nodeName: opts.node }, status: { phase: opts.phase ?? 'Pending', conditions: opts.ready ? [{ type: 'Ready', status: 'True' }] : [] },
});

describe('pod-template-hash', () => {
  it('is stable, uses the safe alphabet, and ignores the pod-template-hash label itself', () => {
    const h = podTemplateHash(template());
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(podTemplateHash({ ...template(), metadata: { labels: { app: 'web', [POD_TEMPLATE_HASH]: 'x' } } })).toBe(h);
    expect(podTemplateHash(template('nginx:2'))).not.toBe(h);
    expect(podTemplateHash(template(), 1)).not.toBe(h);
  });
});

describe('rolling update arithmetic', () => {
  it('resolves 25% surge up and 25% unavailable down, and never both zero', () => {
    expect(resolveIntOrPercent('25%', 3, true, '25%')).toBe(1);
    expect(resolveIntOrPercent('25%', 3, false, '25%')).toBe(0);
    expect(surgeAndUnavailable(deployment(3))).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(surgeAndUnavailable(deployment(3, 'x', { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }))).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('creates the first ReplicaSet with all replicas and revision 1', () => {
    const step = deploymentStep(deployment(3), []);
    expect(step.create?.spec.replicas).toBe(3);
    expect(step.create?.metadata.name).toBe(`web-${podTemplateHash(template())}`);
    expect(step.create?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(step.create?.spec.selector.matchLabels?.[POD_TEMPLATE_HASH]).toBe(podTemplateHash(template()));
  });

  it('starts a new template with one surge pod while the old ReplicaSet keeps all three', () => {
    const d = deployment(3, 'nginx:2');
    const step = deploymentStep(d, [rsFor(d, 3, 3)]);
    expect(step.create?.spec.replicas).toBe(1);
    expect(step.create?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(step.create?.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
  });

  it('scales the old ReplicaSet down once the new pod is available, keeping 3 available', () => {
    const d = deployment(3, 'nginx:2');
    expect(deploymentStep(d, [rsFor(d, 3, 3), rsFor(d, 1, 0, 'nginx:2', '2026-01-02T00:00:00Z')]).scale).toEqual([]);
    expect(deploymentStep(d, [rsFor(d, 3, 3), rsFor(d, 1, 1, 'nginx:2', '2026-01-02T00:00:00Z')]).scale).toEqual([{ name: rsFor(d, 0, 0).metadata.name, replicas: 2 }]);
  });

  it('grows the new ReplicaSet within the surge as the old one shrinks', () => {
    const d = deployment(3, 'nginx:2');
    expect(deploymentStep(d, [rsFor(d, 2, 2), rsFor(d, 1, 1, 'nginx:2', '2026-01-02T00:00:00Z')]).scale).toEqual([{ name: rsFor(d, 0, 0, 'nginx:2').metadata.name, replicas: 2 }]);
  });

  it('removes unhealthy old pods first even when nothing is available', () => {
    const d = deployment(3, 'nginx:2', { strategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } });
    expect(deploymentStep(d, [rsFor(d, 3, 0), rsFor(d, 1, 0, 'nginx:2', '2026-01-02T00:00:00Z')]).scale).toEqual([{ name: rsFor(d, 0, 0).metadata.name, replicas: 2 }]);
  });

  it('follows a scale change of a finished rollout', () => {
    const d = deployment(5);
    expect(deploymentStep(d, [rsFor(d, 3, 3)]).scale).toEqual([{ name: rsFor(d, 0, 0).metadata.name, replicas: 5 }]);
    expect(deploymentStep(deployment(1), [rsFor(d, 3, 3)]).scale).toEqual([{ name: rsFor(d, 0, 0).metadata.name, replicas: 1 }]);
  });

  it('with Recreate empties the old ReplicaSet before creating the new one', () => {
    const d = deployment(3, 'nginx:2', { strategy: { type: 'Recreate' } });
    expect(deploymentStep(d, [rsFor(d, 3, 3)])).toEqual({ scale: [{ name: rsFor(d, 0, 0).metadata.name, replicas: 0 }] });
    expect(deploymentStep(d, [{ ...rsFor(d, 0, 0), status: { replicas: 2 } }])).toEqual({ scale: [] });
    expect(deploymentStep(d, [rsFor(d, 0, 0)]).create?.spec.replicas).toBe(3);
  });

  it('does nothing while paused', () => {
    expect(deploymentStep(deployment(3, 'x', { paused: true }), [])).toEqual({ scale: [] });
  });
});

describe('revision history', () => {
  it('prunes empty old ReplicaSets beyond revisionHistoryLimit, oldest revision first', async () => {
    const { replicaSetsToPrune } = await import('./deployment.js');
    const d = deployment(3, 'v4', { revisionHistoryLimit: 1 });
    const old = (image: string, revision: number, replicas = 0) => {
      const rs = rsFor(d, replicas, replicas, image);
      rs.metadata.annotations = { 'deployment.kubernetes.io/revision': String(revision) };
      return rs;
    };
    const pruned = replicaSetsToPrune(d, [old('v2', 2), old('v1', 1), old('v3', 3), old('v0', 0, 1), rsFor(d, 3, 3, 'v4')]);
    expect(pruned.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'])).toEqual(['1', '2']);
  });
});

describe('deployment status', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  it('reports a finished rollout as kubectl rollout status expects', () => {
    const d = deployment(3);
    const status = deploymentStatus(d, [rsFor(d, 3, 3)], now, false);
    expect(status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(status.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual(['Available=True:MinimumReplicasAvailable', 'Progressing=True:NewReplicaSetAvailable']);
  });

  it('reports an unfinished rollout as progressing and not available', () => {
    const d = deployment(3);
    const status = deploymentStatus(d, [rsFor(d, 3, 0)], now, true);
    expect(status.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual(['Available=False:MinimumReplicasUnavailable', 'Progressing=True:NewReplicaSetCreated']);
    expect(status.unavailableReplicas).toBe(3);
  });

  it('reports ProgressDeadlineExceeded when nothing moved for progressDeadlineSeconds', () => {
    const d = deployment(3, 'nginx:1', { progressDeadlineSeconds: 60 });
    const stuck = { ...d, status: { ...deploymentStatus(d, [rsFor(d, 3, 0)], new Date('2026-01-01T00:00:00Z'), true) } };
    expect(deploymentStatus(stuck, [rsFor(d, 3, 0)], new Date('2026-01-01T00:00:30Z'), false).conditions?.[1]?.reason).toBe('NewReplicaSetCreated');
    expect(deploymentStatus(stuck, [rsFor(d, 3, 0)], new Date('2026-01-01T00:01:01Z'), false).conditions?.[1]).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
  });
});

describe('replicaset decisions', () => {
  const rs = (replicas: number): ReplicaSet => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-uid', generation: 2 }, spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template() } });

  it('creates the missing pods and deletes the surplus', () => {
    expect(replicaSetDiff(rs(3), [pod('a')])).toEqual({ create: 2, delete: [] });
    expect(replicaSetDiff(rs(1), [pod('a'), pod('b')]).delete).toHaveLength(1);
    expect(replicaSetDiff(rs(2), [pod('a'), pod('b')])).toEqual({ create: 0, delete: [] });
  });

  it('deletes unscheduled before pending before running, not ready before ready, newest first', () => {
    const pods = [pod('running-ready', { node: 'n', phase: 'Running', ready: true }), pod('running', { node: 'n', phase: 'Running' }), pod('unscheduled'), pod('bound-new', { node: 'n', created: '2026-01-02T00:00:00Z' }), pod('bound-old', { node: 'n' })];
    expect(podsToDelete(pods, 5).map((p) => p.metadata.name)).toEqual(['unscheduled', 'bound-new', 'bound-old', 'running', 'running-ready']);
  });

  it('makes pods from the template with a controller owner reference', () => {
    const p = podFromTemplate(rs(1));
    expect(p.metadata).toMatchObject({ generateName: 'web-abc-', namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }] });
    expect(p.spec).toEqual(template().spec);
  });

  it('counts ready and available pods in its status', () => {
    expect(replicaSetStatus(rs(2), [{ ...pod('a', { ready: true }), metadata: { ...pod('a').metadata, labels: { app: 'web' } } }, pod('b')], Date.now())).toEqual({ replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 });
  });
});

describe('deployment + replicaset loops (against the in-memory FakeApi, pods made Ready by the test as an agent would)', () => {
  afterEach(stopFakes);

  it('rolls a Deployment out, then rolls a new template over it without dropping below 3 available', async () => {
    const api = new FakeApi();
    const ctx = runAgainstFake(api, deploymentController, replicaSetController);
    // The "agent": marks every pod Ready shortly after it appears.
    const ready = setInterval(() => {
      for (const p of api.all<WorkloadPod>(ref('pods'))) {
        if (!p.status?.conditions?.length) api.put(ref('pods'), { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
      }
    }, 10);
    ctx.signal.addEventListener('abort', () => clearInterval(ready));
    api.put(ref('deployments'), deployment(3) as unknown as KubeObject);
    const status = () => api.find<Deployment & KubeObject>(ref('deployments'), 'default', 'web')?.status;
    await eventually(() => status()?.availableReplicas === 3 && status()?.conditions?.[1]?.reason === 'NewReplicaSetAvailable', 5000, 'the first rollout');
    expect(api.all(ref('pods'))).toHaveLength(3);
    let minAvailable = 3;
    const watch = setInterval(() => {
      const s = status();
      if (s) minAvailable = Math.min(minAvailable, s.availableReplicas ?? 0);
    }, 2);
    const current = api.find<Deployment & KubeObject>(ref('deployments'), 'default', 'web')!;
    api.put(ref('deployments'), { ...current, metadata: { ...current.metadata, generation: 2 } as Deployment['metadata'], spec: { ...current.spec, template: template('nginx:2') } });
    await eventually(() => status()?.observedGeneration === 2 && status()?.updatedReplicas === 3 && status()?.replicas === 3 && status()?.availableReplicas === 3 && status()?.conditions?.[1]?.reason === 'NewReplicaSetAvailable', 8000, 'the second rollout');
    clearInterval(watch);
    const sets = api.all<ReplicaSet>(ref('replicasets')).map((r) => `${r.metadata.annotations?.['deployment.kubernetes.io/revision']}:${r.spec.replicas}`).sort();
    expect(sets).toEqual(['1:0', '2:3']);
    expect(minAvailable).toBeGreaterThanOrEqual(3);
  });

  it('replaces a deleted pod and deletes surplus pods after a scale down', async () => {
    const api = new FakeApi();
    runAgainstFake(api, replicaSetController);
    const rs: ReplicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo', namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app: 'solo' } }, template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    api.put(ref('replicasets'), rs);
    await eventually(() => api.all(ref('pods')).length === 2);
    const victim = api.all(ref('pods'))[0]!;
    api.remove(ref('pods'), 'default', victim.metadata.name!);
    await eventually(() => api.all(ref('pods')).length === 2 && !api.find(ref('pods'), 'default', victim.metadata.name!));
    const current = api.find<ReplicaSet>(ref('replicasets'), 'default', 'solo')!;
    api.put(ref('replicasets'), { ...current, spec: { ...current.spec, replicas: 0 } });
    await eventually(() => api.all(ref('pods')).length === 0);
    await eventually(() => api.find<ReplicaSet>(ref('replicasets'), 'default', 'solo')?.status?.replicas === 0);
  });
});

describe('garbagecollector', () => {
  afterEach(stopFakes);

  it('calls a dependent garbage only when every owner is gone', async () => {
    const { isGarbage } = await import('./garbagecollector.js');
    const owned = (...uids: string[]): KubeObject => ({ metadata: { name: 'p', ownerReferences: uids.map((uid) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid })) } });
    expect(isGarbage(owned('a'), () => false)).toBe(true);
    expect(isGarbage(owned('a', 'b'), (o) => o.uid === 'b')).toBe(false);
    expect(isGarbage(owned(), () => false)).toBe(false);
  });

  it('deletes the ReplicaSets and pods of a deleted Deployment (against the in-memory FakeApi)', async () => {
    const { garbageCollectorController } = await import('./garbagecollector.js');
    const api = new FakeApi();
    runAgainstFake(api, deploymentController, replicaSetController, garbageCollectorController);
    api.put(ref('deployments'), deployment(2) as unknown as KubeObject);
    api.put(ref('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unowned', namespace: 'default' }, spec: {} });
    await eventually(() => api.all(ref('pods')).length === 3);
    api.remove(ref('deployments'), 'default', 'web');
    await eventually(() => api.all(ref('replicasets')).length === 0 && api.all(ref('pods')).length === 1, 5000, 'collection');
    expect(api.all(ref('pods'))[0]?.metadata.name).toBe('unowned');
  });
});
