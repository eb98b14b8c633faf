/**
 * replicaset: keeps spec.replicas active pods per ReplicaSet. Pods are created from the
 * template with a controller ownerReference (and generateName `<rs>-`); surplus pods are
 * deleted least valuable first, ranked as upstream's ActivePodsWithRanks (see podsToDelete).
 * Expectations (as upstream) stop a sync from acting again before the informer has seen the
 * pods it just created or deleted. Status: replicas, fullyLabeledReplicas, readyReplicas,
 * availableReplicas, observedGeneration.
 */
import { isNotFound } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { Expectations } from './expectations.js';
import { controllerKey, controllerOf, isControlledBy, isPodActive, isPodAvailable, isPodReady, matchesSelector, controlledPod, type ReplicaSet, type WorkloadPod } from './workloads.js';

/** Upstream's burst limit per sync. */
export const BURST_REPLICAS = 500;

export interface ReplicaSetDiff {
  create: number;
  delete: WorkloadPod[];
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** log2 of the age in nanoseconds (upstream's LogarithmicScaleDown buckets), -1 for none. */
function ageBucket(time: string | undefined, now: number): number {
  const age = time ? (now - Date.parse(time)) * 1e6 : 0;
  return age > 0 ? Math.floor(Math.log2(age)) : -1;
}

const readySince = (pod: WorkloadPod) => pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
const maxRestarts = (pod: WorkloadPod) => Math.max(0, ...((pod.status as { containerStatuses?: Array<{ restartCount?: number }> } | undefined)?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));

/**
 * Rank for deletion, lower goes first (upstream's ActivePodsWithRanks.Less): unscheduled;
 * Pending < Unknown < Running; not ready; lower pod-deletion-cost; more pods of the same
 * owner on its node; ready for less time; more restarts; newer (ages compared in log2 buckets).
 */
function deletionRank(pod: WorkloadPod, sameNode: number, now: number): number[] {
  const ready = isPodReady(pod);
  return [
    pod.spec.nodeName ? 1 : 0,
    PHASE_ORDINAL[pod.status?.phase ?? ''] ?? 0,
    ready ? 1 : 0,
    Number(pod.metadata.annotations?.[DELETION_COST] ?? 0) || 0,
    -sameNode,
    ready ? ageBucket(readySince(pod), now) : 0,
    -maxRestarts(pod),
    ageBucket(pod.metadata.creationTimestamp, now),
  ];
}

/**
 * The `count` pods to delete first. `related` are the active pods of the same controller (a
 * Deployment's other ReplicaSets too): pods doubled up on a node with them go first.
 */
export function podsToDelete(pods: WorkloadPod[], count: number, related: WorkloadPod[] = pods, now = Date.now()): WorkloadPod[] {
  const perNode = new Map<string, number>();
  for (const p of related) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const ranks = new Map(pods.map((p) => [p, deletionRank(p, p.spec.nodeName ? perNode.get(p.spec.nodeName) ?? 0 : 0, now)]));
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  };
  return [...pods].sort((a, b) => cmp(ranks.get(a)!, ranks.get(b)!) || (a.metadata.uid ?? a.metadata.name ?? '').localeCompare(b.metadata.uid ?? b.metadata.name ?? '')).slice(0, count);
}

/** How many pods to create, and which to delete, to reach spec.replicas. */
export function replicaSetDiff(rs: ReplicaSet, activePods: WorkloadPod[], related: WorkloadPod[] = activePods, now = Date.now()): ReplicaSetDiff {
  const diff = activePods.length - (rs.spec.replicas ?? 1);
  if (diff < 0) return { create: Math.min(-diff, BURST_REPLICAS), delete: [] };
  return { create: 0, delete: podsToDelete(activePods, Math.min(diff, BURST_REPLICAS), related, now) };
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

export const podFromTemplate = (rs: ReplicaSet): WorkloadPod => controlledPod(rs, 'ReplicaSet', rs.spec.template, { generateName: `${rs.metadata.name}-` });

/** The pods of a ReplicaSet: controlled by it (orphans matching its selector are not adopted). */
const podsOf = (rs: ReplicaSet, pods: WorkloadPod[]) => pods.filter((p) => p.metadata.namespace === rs.metadata.namespace && isControlledBy(p, rs) && matchesSelector(rs.spec.selector, p.metadata.labels));

const sameStatus = (a: ReplicaSet['status'], b: ReplicaSet['status']) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

export const replicaSetController: Controller = {
  name: 'replicaset',
  async run(ctx: ControllerContext) {
    const replicaSets = ctx.informers.informerFor<ReplicaSet>(ref('replicasets'));
    const pods = ctx.informers.informerFor<WorkloadPod>(ref('pods'));
    const queue = contextQueue(ctx, 'replicaset');
    const expectations = new Expectations();
    const ownerKey = (pod: WorkloadPod) => controllerKey(pod, 'ReplicaSet');
    const observe = (pod: WorkloadPod, field: 'adds' | 'dels') => {
      const key = ownerKey(pod);
      if (!key) return;
      expectations.observe(key, field);
      queue.add(key);
    };
    replicaSets.on({ add: (rs) => queue.add(objectKey(rs)), update: (_, rs) => queue.add(objectKey(rs)), delete: (rs) => expectations.forget(objectKey(rs)) });
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
      if (expectations.satisfied(key, now) && !rs.metadata.deletionTimestamp) {
        const owner = controllerOf(rs)?.uid;
        const siblings = owner ? replicaSets.list().filter((o) => o.metadata.namespace === rs.metadata.namespace && controllerOf(o)?.uid === owner) : [rs];
        const related = pods.list().filter((p) => isPodActive(p) && siblings.some((o) => isControlledBy(p, o)));
        const diff = replicaSetDiff(rs, active, related, now);
        if (diff.create || diff.delete.length) {
          expectations.expect(key, diff.create, diff.delete.length, now);
          const creations = Array.from({ length: diff.create }, () => ctx.client.create(ref('pods', rs.metadata.namespace), podFromTemplate(rs)));
          const deletions = diff.delete.map((p) => ctx.client.delete(ref('pods', p.metadata.namespace, p.metadata.name)).catch((err) => {
            if (!isNotFound(err)) throw err;
          }));
          const results = await Promise.allSettled([...creations, ...deletions]);
          const failed = results.filter((r) => r.status === 'rejected');
          if (failed.length) {
            expectations.forget(key);
            throw (failed[0] as PromiseRejectedResult).reason;
          }
          ctx.log.debug(2, `[replicaset] ${key}: created ${diff.create}, deleted ${diff.delete.length} pod(s)`);
        }
      }
      const status = replicaSetStatus(rs, active, now);
      if (!sameStatus(status, rs.status)) await ctx.client.update(ref('replicasets', rs.metadata.namespace, rs.metadata.name, 'status'), { ...rs, status });
      // Pods become available minReadySeconds after Ready, with no event: look again then.
      const minReady = rs.spec.minReadySeconds ?? 0;
      if (minReady > 0 && status.readyReplicas === (rs.spec.replicas ?? 1) && status.availableReplicas !== status.readyReplicas) queue.addAfter(key, minReady * 1000);
    };
    await Promise.race([runQueue(ctx, queue, 5, sync), untilAborted(ctx.signal)]);
  },
};
