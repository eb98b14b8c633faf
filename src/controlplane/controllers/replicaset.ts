/**
 * replicaset: keeps spec.replicas active pods per ReplicaSet. Pods are created from the
 * template with a controller ownerReference (and generateName `<rs>-`); surplus pods are
 * deleted least valuable first (unscheduled, then pending, then not ready, then newest).
 * Expectations (as upstream) stop a sync from acting again before the informer has seen the
 * pods it just created or deleted. Status: replicas, fullyLabeledReplicas, readyReplicas,
 * availableReplicas, observedGeneration.
 */
import { isNotFound } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { controllerOf, isControlledBy, isPodActive, isPodAvailable, isPodReady, matchesSelector, ownerReference, type ReplicaSet, type WorkloadPod } from './workloads.js';

/** Upstream's burst limit per sync. */
export const BURST_REPLICAS = 500;
const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

export interface ReplicaSetDiff {
  create: number;
  delete: WorkloadPod[];
}

/** Rank for deletion: lower goes first. */
function deletionRank(pod: WorkloadPod): number[] {
  const phase = pod.status?.phase === 'Pending' ? 0 : pod.status?.phase === 'Running' ? 2 : 1;
  return [pod.spec.nodeName ? 1 : 0, phase, isPodReady(pod) ? 1 : 0, -Date.parse(pod.metadata.creationTimestamp ?? '1970-01-01T00:00:00Z')];
}

export function podsToDelete(pods: WorkloadPod[], count: number): WorkloadPod[] {
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  };
  return [...pods].sort((a, b) => cmp(deletionRank(a), deletionRank(b)) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')).slice(0, count);
}

/** How many pods to create, and which to delete, to reach spec.replicas. */
export function replicaSetDiff(rs: ReplicaSet, activePods: WorkloadPod[]): ReplicaSetDiff {
  const diff = activePods.length - (rs.spec.replicas ?? 1);
  if (diff < 0) return { create: Math.min(-diff, BURST_REPLICAS), delete: [] };
  return { create: 0, delete: podsToDelete(activePods, Math.min(diff, BURST_REPLICAS)) };
}

export function replicaSetStatus(rs: ReplicaSet, activePods: WorkloadPod[], now: number): NonNullable<ReplicaSet['status']> {
  const labels = rs.spec.template.metadata?.labels ?? {};
  return {
    replicas: activePods.length,
    fullyLabeledReplicas: activePods.filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
    readyReplicas: activePods.filter(isPodReady).length,
    availableReplicas: activePods.filter((p) => isPodAvailable(p, rs.spec.minReadySeconds ?? 0, now)).length,
    observedGeneration: rs.metadata.generation,
  };
}

export function podFromTemplate(rs: ReplicaSet): WorkloadPod {
  const template = rs.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: template.metadata?.annotations && { ...template.metadata.annotations },
      ownerReferences: [ownerReference({ ...rs, apiVersion: rs.apiVersion ?? 'apps/v1', kind: rs.kind ?? 'ReplicaSet' })],
    },
    spec: structuredClone(template.spec),
  };
}

/** The pods of a ReplicaSet: controlled by it (orphans matching its selector are not adopted). */
const podsOf = (rs: ReplicaSet, pods: WorkloadPod[]) => pods.filter((p) => p.metadata.namespace === rs.metadata.namespace && isControlledBy(p, rs) && matchesSelector(rs.spec.selector, p.metadata.labels));

const sameStatus = (a: ReplicaSet['status'], b: ReplicaSet['status']) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

export const replicaSetController: Controller = {
  name: 'replicaset',
  async run(ctx: ControllerContext) {
    const replicaSets = ctx.informers.informerFor<ReplicaSet>(ref('replicasets'));
    const pods = ctx.informers.informerFor<WorkloadPod>(ref('pods'));
    const queue = contextQueue(ctx, 'replicaset');
    const expectations = new Map<string, { adds: number; dels: number; at: number }>();
    const ownerKey = (pod: WorkloadPod) => {
      const owner = controllerOf(pod);
      return owner?.kind === 'ReplicaSet' ? `${pod.metadata.namespace}/${owner.name}` : undefined;
    };
    const observe = (pod: WorkloadPod, field: 'adds' | 'dels') => {
      const key = ownerKey(pod);
      if (!key) return;
      const e = expectations.get(key);
      if (e) e[field]--;
      queue.add(key);
    };
    replicaSets.on({ add: (rs) => queue.add(objectKey(rs)), update: (_, rs) => queue.add(objectKey(rs)), delete: (rs) => expectations.delete(objectKey(rs)) });
    pods.on({
      add: (p) => observe(p, 'adds'),
      update: (_, p) => {
        const key = ownerKey(p);
        if (key) queue.add(key);
      },
      delete: (p) => observe(p, 'dels'),
    });
    await Promise.all([replicaSets.synced(), pods.synced()]);
    const sync = async (key: string) => {
      const rs = replicaSets.get(key);
      if (!rs) return;
      const now = ctx.now().getTime();
      const active = podsOf(rs, pods.list()).filter(isPodActive);
      const e = expectations.get(key);
      const satisfied = !e || (e.adds <= 0 && e.dels <= 0) || now - e.at > EXPECTATIONS_TIMEOUT_MS;
      if (satisfied && !rs.metadata.deletionTimestamp) {
        const diff = replicaSetDiff(rs, active);
        if (diff.create || diff.delete.length) {
          expectations.set(key, { adds: diff.create, dels: diff.delete.length, at: now });
          const creations = Array.from({ length: diff.create }, () => ctx.client.create(ref('pods', rs.metadata.namespace), podFromTemplate(rs)));
          const deletions = diff.delete.map((p) => ctx.client.delete(ref('pods', p.metadata.namespace, p.metadata.name)).catch((err) => {
            if (!isNotFound(err)) throw err;
          }));
          const results = await Promise.allSettled([...creations, ...deletions]);
          const failed = results.filter((r) => r.status === 'rejected');
          if (failed.length) {
            expectations.delete(key);
            throw (failed[0] as PromiseRejectedResult).reason;
          }
          ctx.log.debug(2, `[replicaset] ${key}: created ${diff.create}, deleted ${diff.delete.length} pod(s)`);
        }
      }
      const status = replicaSetStatus(rs, active, now);
      if (!sameStatus(status, rs.status)) await ctx.client.update(ref('replicasets', rs.metadata.namespace, rs.metadata.name, 'status'), { ...rs, status });
    };
    await Promise.race([runQueue(ctx, queue, 5, sync), untilAborted(ctx.signal)]);
  },
};
