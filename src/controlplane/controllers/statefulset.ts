/**
 * statefulset: pods with stable identities, as upstream's StatefulSet controller. Pod `<sts>-<n>`
 * for each ordinal n in [start, start + replicas) carries hostname `<sts>-<n>` and subdomain
 * spec.serviceName (so the headless Service gives it a stable DNS name) and the labels
 * statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index and controller-revision-hash
 * (the name of its ControllerRevision). OrderedReady creates pods one at a time in ordinal
 * order, each once the previous ones are Running and Ready (and available for minReadySeconds),
 * and removes surplus pods highest ordinal first, one at a time; Parallel does both at once.
 * RollingUpdate replaces pods from the highest ordinal down to spec.updateStrategy.rollingUpdate
 * .partition, one at a time, each once the others are healthy; pods below the partition keep the
 * current revision; OnDelete replaces only the pods users delete. volumeClaimTemplates are not
 * acted on: PersistentVolumeClaims are not served yet.
 */
import { isAlreadyExists, isNotFound, type KubeObject } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { revisionsToPrune, storeCurrentRevision, type ControllerRevision } from './history.js';
import { controllerKey, isControlledBy, isPodAvailable, isPodReady, controlledPod, type LabelSelector, type PodTemplate, type WorkloadMeta, type WorkloadPod } from './workloads.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';
/** The hash label of a StatefulSet's ControllerRevisions (upstream's ControllerRevisionHashLabel). */
const HISTORY_HASH_LABEL = 'controller.kubernetes.io/hash';

export interface StatefulSet extends KubeObject {
  metadata: KubeObject['metadata'] & WorkloadMeta;
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    serviceName?: string;
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    ordinals?: { start?: number };
    volumeClaimTemplates?: unknown[];
  };
  status?: {
    observedGeneration?: number; replicas?: number; readyReplicas?: number; currentReplicas?: number; updatedReplicas?: number; availableReplicas?: number;
    currentRevision?: string; updateRevision?: string; collisionCount?: number;
  };
}

/** A revision's name and the template it restores. */
export interface Revision {
  name: string;
  template: PodTemplate;
}

export interface StatefulSetStep {
  create: WorkloadPod[];
  delete: WorkloadPod[];
}

/** The ordinal in a pod name `<sts>-<n>`, or undefined for a pod not named so. */
export function ordinalOf(sts: StatefulSet, pod: WorkloadPod): number | undefined {
  const match = /^(.*)-(\d+)$/.exec(pod.metadata.name ?? '');
  return match && match[1] === sts.metadata.name ? Number(match[2]) : undefined;
}

/** The template a ControllerRevision's data restores. */
export function templateOf(revision: ControllerRevision): PodTemplate {
  const { $patch: _replace, ...template } = ((revision.data as { spec?: { template?: PodTemplate & { $patch?: string } } })?.spec?.template ?? { spec: {} }) as PodTemplate & { $patch?: string };
  return template;
}

/** upstream's newStatefulSetPod + initIdentity + setPodRevision. */
export function statefulPod(sts: StatefulSet, ordinal: number, revision: Revision): WorkloadPod {
  const name = `${sts.metadata.name}-${ordinal}`;
  const pod = controlledPod(sts, 'StatefulSet', revision.template, { name }, { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision.name });
  return { ...pod, spec: { ...pod.spec, hostname: name, ...(sts.spec.serviceName ? { subdomain: sts.spec.serviceName } : {}) } };
}

const isTerminating = (p: WorkloadPod) => Boolean(p.metadata.deletionTimestamp);
const isFinished = (p: WorkloadPod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const runningAndReady = (p: WorkloadPod) => p.status?.phase === 'Running' && isPodReady(p);

/** Which revision the pod of an ordinal gets (upstream's newVersionedStatefulSetPod). */
function revisionForOrdinal(sts: StatefulSet, ordinal: number, current: Revision, update: Revision): Revision {
  const strategy = sts.spec.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return update;
  const start = sts.spec.ordinals?.start ?? 0;
  const below = strategy?.rollingUpdate ? start + (strategy.rollingUpdate.partition ?? 0) : start + (sts.status?.currentReplicas ?? 0);
  return ordinal < below ? current : update;
}

/** One sync's creations and deletions (upstream's updateStatefulSet, stopping where OrderedReady waits). */
export function statefulSetStep(sts: StatefulSet, pods: WorkloadPod[], current: Revision, update: Revision, now: number): StatefulSetStep {
  const step: StatefulSetStep = { create: [], delete: [] };
  const replicas = sts.spec.replicas ?? 1;
  const start = sts.spec.ordinals?.start ?? 0;
  const monotonic = sts.spec.podManagementPolicy !== 'Parallel';
  const minReady = sts.spec.minReadySeconds ?? 0;
  const healthy = (p: WorkloadPod) => !isTerminating(p) && runningAndReady(p) && isPodAvailable(p, minReady, now);
  const byOrdinal = new Map<number, WorkloadPod>();
  for (const pod of pods) {
    const ordinal = ordinalOf(sts, pod);
    if (ordinal !== undefined) byOrdinal.set(ordinal, pod);
  }
  const wanted = Array.from({ length: replicas }, (_, i) => start + i);
  const condemned = [...byOrdinal.keys()].filter((o) => o < start || o >= start + replicas).sort((a, b) => b - a).map((o) => byOrdinal.get(o)!);
  const firstUnhealthy = [...wanted.map((o) => byOrdinal.get(o)), ...condemned].find((p) => !p || !healthy(p));
  for (const ordinal of wanted) {
    const pod = byOrdinal.get(ordinal);
    if (!pod) {
      step.create.push(statefulPod(sts, ordinal, revisionForOrdinal(sts, ordinal, current, update)));
      if (monotonic) return step;
      continue;
    }
    if (isFinished(pod)) {
      // Recreated by a later sync, once this one is gone from the API.
      if (!isTerminating(pod)) step.delete.push(pod);
      return step;
    }
    if (monotonic && !healthy(pod)) return step;
  }
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return step;
      continue;
    }
    if (monotonic && !healthy(pod) && pod !== firstUnhealthy) return step;
    step.delete.push(pod);
    if (monotonic) return step;
  }
  if (step.create.length || step.delete.length || (sts.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return step;
  // Rolling update: the highest ordinal not at the update revision goes first, once the others are healthy.
  const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let ordinal = start + replicas - 1; ordinal >= start + partition; ordinal--) {
    const pod = byOrdinal.get(ordinal)!;
    if (pod.metadata.labels?.[REVISION_LABEL] !== update.name && !isTerminating(pod)) return { create: [], delete: [pod] };
    if (!healthy(pod)) return step;
  }
  return step;
}

/** upstream's computeReplicaStatus + completeRollingUpdate. */
export function statefulSetStatus(sts: StatefulSet, pods: WorkloadPod[], current: Revision, update: Revision, now: number): NonNullable<StatefulSet['status']> {
  const mine = pods.filter((p) => ordinalOf(sts, p) !== undefined);
  const count = (f: (p: WorkloadPod) => boolean) => mine.filter(f).length;
  const status = {
    observedGeneration: sts.metadata.generation,
    replicas: mine.length,
    readyReplicas: count(runningAndReady),
    currentReplicas: count((p) => p.metadata.labels?.[REVISION_LABEL] === current.name),
    updatedReplicas: count((p) => p.metadata.labels?.[REVISION_LABEL] === update.name),
    availableReplicas: count((p) => runningAndReady(p) && isPodAvailable(p, sts.spec.minReadySeconds ?? 0, now)),
    currentRevision: current.name,
    updateRevision: update.name,
    ...(sts.status?.collisionCount ? { collisionCount: sts.status.collisionCount } : {}),
  };
  if ((sts.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    return { ...status, currentReplicas: status.updatedReplicas, currentRevision: update.name };
  }
  return status;
}

export const statefulSetController: Controller = {
  name: 'statefulset',
  async run(ctx: ControllerContext) {
    const statefulSets = ctx.informers.informerFor<StatefulSet>(ref('statefulsets'));
    const pods = ctx.informers.informerFor<WorkloadPod>(ref('pods'));
    const revisions = ctx.informers.informerFor<ControllerRevision>(ref('controllerrevisions'));
    const queue = contextQueue(ctx, 'statefulset');
    const onPod = (pod: WorkloadPod) => {
      const key = controllerKey(pod, 'StatefulSet');
      if (key) queue.add(key);
    };
    statefulSets.on({ add: (s) => queue.add(objectKey(s)), update: (_, s) => queue.add(objectKey(s)) });
    pods.on({ add: onPod, update: (_, p) => onPod(p), delete: onPod });
    await Promise.all([statefulSets.synced(), pods.synced(), revisions.synced()]);
    const warnedClaims = new Set<string>();
    const sync = async (key: string) => {
      const sts = statefulSets.get(key);
      if (!sts || sts.metadata.deletionTimestamp) return;
      const namespace = sts.metadata.namespace!;
      const now = ctx.now().getTime();
      if (sts.spec.volumeClaimTemplates?.length && !warnedClaims.has(key)) {
        warnedClaims.add(key);
        ctx.log.info(`[statefulset] ${key}: volumeClaimTemplates ignored: PersistentVolumeClaims are not served`);
      }
      const owned = revisions.list().filter((r) => r.metadata.namespace === namespace && isControlledBy(r, sts));
      const latest = await storeCurrentRevision(ctx.client, sts, ref('statefulsets', namespace, sts.metadata.name, 'status'), owned, HISTORY_HASH_LABEL);
      if (!latest) return;
      const update: Revision = { name: latest.revision.metadata.name!, template: sts.spec.template };
      const stored = owned.find((r) => r.metadata.name === sts.status?.currentRevision);
      const current: Revision = stored ? { name: stored.metadata.name!, template: templateOf(stored) } : update;
      const mine = pods.list().filter((p) => p.metadata.namespace === namespace && isControlledBy(p, sts));
      const step = statefulSetStep(sts, mine, current, update, now);
      for (const pod of step.create) {
        await ctx.client.create(ref('pods', namespace), pod).catch((err) => {
          if (!isAlreadyExists(err)) throw err; // the informer had not seen it yet
        });
      }
      for (const pod of step.delete) {
        await ctx.client.delete(ref('pods', namespace, pod.metadata.name)).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      }
      if (step.create.length || step.delete.length) ctx.log.debug(2, `[statefulset] ${key}: created ${step.create.map((p) => p.metadata.name).join(', ') || 'none'}, deleted ${step.delete.map((p) => p.metadata.name).join(', ') || 'none'}`);
      const status = statefulSetStatus(sts, mine, current, update, now);
      if (JSON.stringify(status) !== JSON.stringify(sts.status ?? {})) await ctx.client.update(ref('statefulsets', namespace, sts.metadata.name, 'status'), { ...sts, status });
      const live = new Set([current.name, update.name, ...mine.map((p) => p.metadata.labels?.[REVISION_LABEL] ?? '')]);
      for (const old of revisionsToPrune(sts, owned, live)) await ctx.client.delete(ref('controllerrevisions', namespace, old.metadata.name)).catch(() => undefined);
      // Pods become available minReadySeconds after Ready, with no event: look again then.
      if ((sts.spec.minReadySeconds ?? 0) > 0 && status.availableReplicas !== status.readyReplicas) queue.addAfter(key, sts.spec.minReadySeconds! * 1000);
    };
    await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
  },
};
