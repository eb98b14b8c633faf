/**
 * disruption: keeps each PodDisruptionBudget's status as upstream's disruption controller
 * (pkg/controller/disruption): expectedPods and desiredHealthy from minAvailable (a number:
 * the selected pods; a percentage: of the pods' controllers' scale) or maxUnavailable (of
 * the scale), currentHealthy (ready pods not being deleted nor just evicted),
 * disruptionsAllowed = currentHealthy - desiredHealthy (never below 0), the disruptedPods the
 * eviction subresource recorded (dropped once the pod is gone or after 2 min), the
 * DisruptionAllowed condition and observedGeneration. When the scale cannot be found the
 * budget fails safe: no disruption allowed.
 */
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { stamp } from './job.js';
import { controllerOf, isPodReady, matchesSelector, type LabelSelector, type ReplicaSet, type WorkloadPod } from './workloads.js';
import type { KubeObject } from '../../kube/index.js';

/** How long an eviction stays in disruptedPods without the pod being deleted (upstream's DeletionTimeout). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

export interface PodDisruptionBudget extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number };
  spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelector };
  status?: {
    observedGeneration?: number;
    disruptedPods?: Record<string, string>;
    disruptionsAllowed: number;
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
    conditions?: Array<{ type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }>;
  };
}

type Scaled = KubeObject & { spec: { replicas?: number } };

/** A number, or a percentage of `total` rounded up (upstream's GetScaledValueFromIntOrPercent, roundUp). */
const scaled = (value: number | string, total: number) => (typeof value === 'number' ? value : Math.ceil((Number(value.replace('%', '')) * total) / 100));

/**
 * The status the PDB should have. `scaleOf` gives the replicas of a pod's controller (undefined:
 * unknown). Returns undefined-free numbers; `requeueAfterMs` when a disrupted pod will expire. Pure.
 */
export function pdbStatus(pdb: PodDisruptionBudget, pods: WorkloadPod[], scaleOf: (pod: WorkloadPod) => { key: string; replicas: number } | undefined, now: number): { status: NonNullable<PodDisruptionBudget['status']>; requeueAfterMs?: number } {
  const { minAvailable, maxUnavailable } = pdb.spec;
  let expected = pods.length;
  let desired = 0;
  let failSafe = false;
  if (typeof minAvailable === 'number') desired = minAvailable;
  else if (minAvailable !== undefined || maxUnavailable !== undefined) {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      const scale = scaleOf(pod);
      if (!scale) failSafe = true;
      else scales.set(scale.key, scale.replicas);
    }
    expected = [...scales.values()].reduce((a, b) => a + b, 0);
    desired = minAvailable !== undefined ? scaled(minAvailable, expected) : Math.max(0, expected - scaled(maxUnavailable!, expected));
  } else desired = pods.length; // neither set: no disruption (upstream's default of minAvailable 100%)
  const disrupted: Record<string, string> = {};
  let requeueAfterMs: number | undefined;
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = pods.find((p) => p.metadata.name === name);
    const expiresIn = Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS - now;
    if (!pod || pod.metadata.deletionTimestamp || expiresIn <= 0) continue;
    disrupted[name] = at;
    requeueAfterMs = Math.min(requeueAfterMs ?? expiresIn, expiresIn);
  }
  const healthy = pods.filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp && !disrupted[p.metadata.name!]).length;
  const allowed = failSafe ? 0 : Math.max(0, healthy - desired);
  const previous = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
  const [status, reason, message] = failSafe ? ['False', 'SyncFailed', 'found no controllers for some of the selected pods'] : allowed > 0 ? ['True', 'SufficientPods', ''] : ['False', 'InsufficientPods', ''];
  const condition = { type: 'DisruptionAllowed', status, reason, message, observedGeneration: pdb.metadata.generation, lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : stamp(now) };
  return {
    status: {
      observedGeneration: pdb.metadata.generation,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      conditions: [condition],
    },
    requeueAfterMs,
  };
}

export const disruptionController: Controller = {
  name: 'disruption',
  async run(ctx: ControllerContext) {
    const pdbs = ctx.informers.informerFor<PodDisruptionBudget>(ref('poddisruptionbudgets'));
    const pods = ctx.informers.informerFor<WorkloadPod>(ref('pods'));
    const replicaSets = ctx.informers.informerFor<ReplicaSet>(ref('replicasets'));
    const deployments = ctx.informers.informerFor<Scaled>(ref('deployments'));
    const statefulSets = ctx.informers.informerFor<Scaled>(ref('statefulsets'));
    const queue = contextQueue(ctx, 'disruption');
    const selected = (pdb: PodDisruptionBudget, pod: WorkloadPod) => pod.metadata.namespace === pdb.metadata.namespace && matchesSelector(pdb.spec.selector ?? {}, pod.metadata.labels);
    const enqueueFor = (pod: WorkloadPod) => pdbs.list().filter((pdb) => selected(pdb, pod)).forEach((pdb) => queue.add(objectKey(pdb)));
    pdbs.on({ add: (p) => queue.add(objectKey(p)), update: (_, p) => queue.add(objectKey(p)) });
    pods.on({ add: enqueueFor, update: (old, p) => (enqueueFor(old), enqueueFor(p)), delete: enqueueFor });
    const scaleChanged = () => pdbs.list().forEach((p) => queue.add(objectKey(p)));
    replicaSets.on({ update: scaleChanged });
    deployments.on({ update: scaleChanged });
    statefulSets.on({ update: scaleChanged });
    await Promise.all([pdbs.synced(), pods.synced(), replicaSets.synced(), deployments.synced(), statefulSets.synced()]);
    /** The scale a pod counts toward: its StatefulSet's, its Deployment's, else its ReplicaSet's. */
    const scaleOf = (pod: WorkloadPod) => {
      const owner = controllerOf(pod);
      if (owner?.kind === 'StatefulSet') {
        const sts = statefulSets.get(`${pod.metadata.namespace}/${owner.name}`);
        return sts && sts.metadata.uid === owner.uid ? { key: `statefulset/${sts.metadata.uid}`, replicas: sts.spec.replicas ?? 1 } : undefined;
      }
      if (owner?.kind !== 'ReplicaSet') return undefined;
      const rs = replicaSets.get(`${pod.metadata.namespace}/${owner.name}`);
      if (!rs || rs.metadata.uid !== owner.uid) return undefined;
      const rsOwner = controllerOf(rs);
      const deployment = rsOwner?.kind === 'Deployment' ? deployments.get(`${pod.metadata.namespace}/${rsOwner.name}`) : undefined;
      if (deployment) return { key: `deployment/${deployment.metadata.uid}`, replicas: deployment.spec.replicas ?? 1 };
      return { key: `replicaset/${rs.metadata.uid}`, replicas: rs.spec.replicas ?? 1 };
    };
    const sync = async (key: string) => {
      const pdb = pdbs.get(key);
      if (!pdb || pdb.metadata.deletionTimestamp) return;
      const { status, requeueAfterMs } = pdbStatus(pdb, pods.list().filter((p) => selected(pdb, p)), scaleOf, ctx.now().getTime());
      if (JSON.stringify(status) !== JSON.stringify(pdb.status ?? {})) await ctx.client.update(ref('poddisruptionbudgets', pdb.metadata.namespace, pdb.metadata.name, 'status'), { ...pdb, status });
      if (requeueAfterMs !== undefined) queue.addAfter(key, requeueAfterMs);
    };
    await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
  },
};
