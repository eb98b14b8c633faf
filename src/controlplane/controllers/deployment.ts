/**
 * deployment: one ReplicaSet per pod template (named `<deployment>-<pod-template-hash>`), and a
 * rolling update between them with upstream's arithmetic: the new ReplicaSet grows while the
 * total stays within replicas + maxSurge, old ones shrink (unhealthy pods first) while at least
 * replicas − maxUnavailable pods stay available; Recreate empties the old ones first. Status
 * (replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas,
 * observedGeneration, the Available and Progressing conditions) is what `kubectl rollout
 * status` reads. Each sync takes one step; the next event takes the next one. Revisions and
 * their annotations: deployment-revision.ts. A paused Deployment only follows scale changes
 * (of a single active ReplicaSet; upstream's proportional scaling across several is not done)
 * and reports Progressing=Unknown DeploymentPaused, then DeploymentResumed.
 */
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { maxRevision, newReplicaSetAnnotations, replicasAnnotations, REVISION_ANNOTATION, revisionOf } from './deployment-revision.js';
import { controllerKey, isControlledBy, ownerReference, POD_TEMPLATE_HASH, podTemplateHash, type LabelSelector, type PodTemplate, type ReplicaSet, type WorkloadMeta } from './workloads.js';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export interface Deployment {
  apiVersion?: string;
  kind?: string;
  metadata: ReplicaSet['metadata'] & WorkloadMeta;
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    minReadySeconds?: number;
    progressDeadlineSeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
  };
  status?: {
    replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number; unavailableReplicas?: number;
    observedGeneration?: number; collisionCount?: number; conditions?: Condition[];
  };
  [field: string]: unknown;
}

/** An int-or-percent against a total (percentages rounded up for surge, down for unavailable). */
export function resolveIntOrPercent(value: number | string | undefined, total: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const match = /^(\d+)%$/.exec(v);
  if (!match) return Number(v) || 0;
  const raw = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/** maxSurge and maxUnavailable; both zero becomes maxUnavailable 1, as upstream. */
export function surgeAndUnavailable(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicas };
  const maxSurge = resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge, replicas, true, '25%');
  let maxUnavailable = resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

const specReplicas = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
const available = (rs: ReplicaSet) => rs.status?.availableReplicas ?? 0;
const byAge = (a: ReplicaSet, b: ReplicaSet) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** The ReplicaSet a Deployment's current template would have. */
function newReplicaSetFor(d: Deployment, hash: string, replicas: number, maxOldRevision: number): ReplicaSet {
  const labels = { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels,
      annotations: { ...newReplicaSetAnnotations(d.metadata.annotations, undefined, maxOldRevision), ...replicasAnnotations(d.spec.replicas ?? 1, surgeAndUnavailable(d).maxSurge) },
      ownerReferences: [ownerReference({ ...d, apiVersion: d.apiVersion ?? 'apps/v1', kind: d.kind ?? 'Deployment' })],
    },
    spec: {
      replicas,
      minReadySeconds: d.spec.minReadySeconds,
      selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } },
      template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels } },
    },
  };
}

export interface DeploymentStep {
  create?: ReplicaSet;
  /** The new ReplicaSet with its revision annotations and minReadySeconds brought up to date. */
  update?: ReplicaSet;
  scale: Array<{ name: string; replicas: number }>;
}

const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The existing new ReplicaSet with upstream's annotation and minReadySeconds sync, if that changes it. */
function syncedNewReplicaSet(d: Deployment, newRS: ReplicaSet, olds: ReplicaSet[]): ReplicaSet | undefined {
  const annotations = newReplicaSetAnnotations(d.metadata.annotations, newRS.metadata.annotations, maxRevision(olds));
  const minReadySeconds = d.spec.minReadySeconds ?? 0;
  if (sameJSON(annotations, newRS.metadata.annotations ?? {}) && (newRS.spec.minReadySeconds ?? 0) === minReadySeconds) return undefined;
  return { ...newRS, metadata: { ...newRS.metadata, annotations }, spec: { ...newRS.spec, minReadySeconds } };
}

/** A paused Deployment follows a scale change when one ReplicaSet holds all its replicas. */
function pausedStep(d: Deployment, newRS: ReplicaSet | undefined, owned: ReplicaSet[]): DeploymentStep {
  const desired = d.spec.replicas ?? 1;
  const active = owned.filter((rs) => specReplicas(rs) > 0);
  const target = active.length === 1 ? active[0] : active.length === 0 ? newRS : undefined;
  return { scale: target && specReplicas(target) !== desired ? [{ name: target.metadata.name!, replicas: desired }] : [] };
}

/** The next step of the rollout (upstream's rolloutRolling / rolloutRecreate, one step per sync). */
export function deploymentStep(d: Deployment, owned: ReplicaSet[]): DeploymentStep {
  const desired = d.spec.replicas ?? 1;
  const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
  const newRS = owned.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash);
  const olds = owned.filter((rs) => rs !== newRS).sort(byAge);
  const { maxSurge, maxUnavailable } = surgeAndUnavailable(d);
  const total = owned.reduce((n, rs) => n + specReplicas(rs), 0);
  const recreate = d.spec.strategy?.type === 'Recreate';
  if (newRS) {
    const update = syncedNewReplicaSet(d, newRS, olds);
    if (update) return { update, scale: [] };
  }
  if (d.spec.paused) return pausedStep(d, newRS, owned);
  if (recreate) {
    const running = olds.filter((rs) => specReplicas(rs) > 0);
    if (running.length) return { scale: running.map((rs) => ({ name: rs.metadata.name!, replicas: 0 })) };
    if (olds.some((rs) => (rs.status?.replicas ?? 0) > 0)) return { scale: [] };
  }
  if (!newRS) {
    const replicas = recreate ? desired : Math.max(0, Math.min(desired, desired + maxSurge - total));
    return { create: newReplicaSetFor(d, hash, replicas, maxRevision(olds)), scale: [] };
  }
  // The new ReplicaSet: scale up within the surge, or down to the desired count.
  const current = specReplicas(newRS);
  if (current > desired) return { scale: [{ name: newRS.metadata.name!, replicas: desired }] };
  if (current < desired) {
    const up = recreate ? desired - current : Math.min(desired + maxSurge - total, desired - current);
    if (up > 0) return { scale: [{ name: newRS.metadata.name!, replicas: current + up }] };
  }
  // Old ReplicaSets: unhealthy pods first, then healthy ones while enough stay available.
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = specReplicas(newRS) - available(newRS);
  const maxScaledDown = total - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { scale: [] };
  const target = new Map(olds.map((rs) => [rs.metadata.name!, specReplicas(rs)]));
  let scaledDown = 0;
  for (const rs of olds) {
    const unhealthy = target.get(rs.metadata.name!)! - available(rs);
    if (unhealthy <= 0 || scaledDown >= maxScaledDown) continue;
    const n = Math.min(maxScaledDown - scaledDown, unhealthy);
    target.set(rs.metadata.name!, target.get(rs.metadata.name!)! - n);
    scaledDown += n;
  }
  const availableCount = owned.reduce((n, rs) => n + available(rs), 0);
  let budget = availableCount - minAvailable;
  for (const rs of olds) {
    if (budget <= 0) break;
    const replicas = target.get(rs.metadata.name!)!;
    const n = Math.min(replicas, budget);
    if (n <= 0) continue;
    target.set(rs.metadata.name!, replicas - n);
    budget -= n;
  }
  return { scale: olds.filter((rs) => target.get(rs.metadata.name!) !== specReplicas(rs)).map((rs) => ({ name: rs.metadata.name!, replicas: target.get(rs.metadata.name!)! })) };
}

/** Old, empty ReplicaSets beyond spec.revisionHistoryLimit (10), oldest revision first. */
export function replicaSetsToPrune(d: Deployment, owned: ReplicaSet[]): ReplicaSet[] {
  const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
  const empty = owned
    .filter((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] !== hash && specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp)
    .sort((a, b) => revisionOf(a) - revisionOf(b) || byAge(a, b));
  return empty.slice(0, Math.max(0, empty.length - (d.spec.revisionHistoryLimit ?? 10)));
}

/** The revision to write on the Deployment: its new ReplicaSet's, when that differs. */
export function deploymentRevision(d: Deployment, owned: ReplicaSet[]): string | undefined {
  const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
  const revision = owned.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash)?.metadata.annotations?.[REVISION_ANNOTATION];
  return revision !== undefined && revision !== d.metadata.annotations?.[REVISION_ANNOTATION] ? revision : undefined;
}

function condition(previous: Condition[] | undefined, type: string, status: string, reason: string, message: string, now: string, progressed: boolean): Condition {
  const old = previous?.find((c) => c.type === type);
  const same = old && old.status === status && old.reason === reason && old.message === message;
  return {
    type, status, reason, message,
    lastUpdateTime: same && !progressed ? old.lastUpdateTime : now,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
  };
}

/** The Deployment's status from its ReplicaSets, as `kubectl rollout status` reads it. */
export function deploymentStatus(d: Deployment, owned: ReplicaSet[], now: Date, created: boolean): NonNullable<Deployment['status']> {
  const desired = d.spec.replicas ?? 1;
  const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
  const newRS = owned.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash);
  const sum = (f: (rs: ReplicaSet) => number | undefined) => owned.reduce((n, rs) => n + (f(rs) ?? 0), 0);
  const counts = {
    replicas: sum((rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas),
    availableReplicas: sum((rs) => rs.status?.availableReplicas),
  };
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const prev = d.status ?? {};
  const progressed = created || counts.updatedReplicas !== (prev.updatedReplicas ?? 0) || counts.availableReplicas > (prev.availableReplicas ?? 0) || counts.readyReplicas > (prev.readyReplicas ?? 0) || counts.replicas !== (prev.replicas ?? 0);
  const { maxUnavailable } = surgeAndUnavailable(d);
  const availableCond = counts.availableReplicas >= desired - maxUnavailable
    ? condition(prev.conditions, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', at, false)
    : condition(prev.conditions, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', at, false);
  const name = newRS?.metadata.name ?? `${d.metadata.name}-${hash}`;
  const complete = counts.updatedReplicas === desired && counts.replicas === desired && counts.availableReplicas === desired && (newRS?.spec.replicas ?? 0) === desired;
  const previousProgress = prev.conditions?.find((c) => c.type === 'Progressing');
  const deadlineMs = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
  const timedOut = previousProgress?.reason === 'ProgressDeadlineExceeded';
  let progressing: Condition;
  // upstream's checkPausedConditions: a pause never hides a reported timeout.
  if (d.spec.paused && !timedOut) progressing = condition(prev.conditions, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', at, false);
  else if (complete) progressing = condition(prev.conditions, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}" has successfully progressed.`, at, false);
  else if (created) progressing = condition(prev.conditions, 'Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`, at, true);
  else if (previousProgress?.reason === 'DeploymentPaused' && !progressed) progressing = condition(prev.conditions, 'Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', at, true);
  else if (progressed || !previousProgress) progressing = condition(prev.conditions, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}" is progressing.`, at, true);
  else if (!timedOut && Date.parse(previousProgress.lastUpdateTime) + deadlineMs < now.getTime()) {
    progressing = condition(prev.conditions, 'Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${name}" has timed out progressing.`, at, false);
  } else progressing = previousProgress;
  return {
    observedGeneration: d.metadata.generation,
    ...counts,
    unavailableReplicas: Math.max(0, desired - counts.availableReplicas),
    ...(prev.collisionCount ? { collisionCount: prev.collisionCount } : {}),
    conditions: [availableCond, progressing],
  };
}

export const deploymentController: Controller = {
  name: 'deployment',
  async run(ctx: ControllerContext) {
    const deployments = ctx.informers.informerFor<Deployment & ReplicaSet>(ref('deployments'));
    const replicaSets = ctx.informers.informerFor<ReplicaSet>(ref('replicasets'));
    const queue = contextQueue(ctx, 'deployment');
    const onRS = (rs: ReplicaSet) => {
      const key = controllerKey(rs, 'Deployment');
      if (key) queue.add(key);
    };
    deployments.on({ add: (d) => queue.add(objectKey(d)), update: (_, d) => queue.add(objectKey(d)) });
    replicaSets.on({ add: onRS, update: (_, rs) => onRS(rs), delete: onRS });
    await Promise.all([deployments.synced(), replicaSets.synced()]);
    const sync = async (key: string) => {
      const d = deployments.get(key) as Deployment | undefined;
      if (!d || d.metadata.deletionTimestamp) return;
      const namespace = d.metadata.namespace;
      let owned = replicaSets.list().filter((rs) => rs.metadata.namespace === namespace && isControlledBy(rs, d as ReplicaSet));
      const step = deploymentStep(d, owned);
      const replace = (updated: ReplicaSet) => (owned = owned.map((r) => (r.metadata.name === updated.metadata.name ? updated : r)));
      if (step.update) {
        replace(await ctx.client.update(ref('replicasets', namespace, step.update.metadata.name), step.update));
        ctx.log.debug(2, `[deployment] ${key}: ReplicaSet ${step.update.metadata.name} is revision ${step.update.metadata.annotations?.[REVISION_ANNOTATION]}`);
      }
      if (step.create) {
        const created = await ctx.client.create(ref('replicasets', namespace), step.create);
        owned = [...owned, created];
        ctx.log.debug(2, `[deployment] ${key}: created ReplicaSet ${step.create.metadata.name} with ${step.create.spec.replicas} replica(s)`);
      }
      for (const { name, replicas } of step.scale) {
        const rs = owned.find((r) => r.metadata.name === name)!;
        const annotations = { ...rs.metadata.annotations, ...replicasAnnotations(d.spec.replicas ?? 1, surgeAndUnavailable(d).maxSurge) };
        replace(await ctx.client.update(ref('replicasets', namespace, name), { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec, replicas } }));
        ctx.log.debug(2, `[deployment] ${key}: scaled ReplicaSet ${name} to ${replicas}`);
      }
      const revision = deploymentRevision(d, owned);
      if (revision !== undefined) {
        // The Deployment's own revision annotation, which `kubectl rollout undo` patches back.
        const current = deployments.get(key) as Deployment;
        await ctx.client.update(ref('deployments', namespace, d.metadata.name), { ...current, metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [REVISION_ANNOTATION]: revision } } });
        return; // the update event brings the next sync
      }
      if (!step.create && !step.update && !step.scale.length) {
        for (const rs of replicaSetsToPrune(d, owned)) await ctx.client.delete(ref('replicasets', namespace, rs.metadata.name)).catch((err) => ctx.log.debug(2, `[deployment] pruning ${rs.metadata.name}: ${err instanceof Error ? err.message : String(err)}`));
      }
      const status = deploymentStatus(d, owned, ctx.now(), Boolean(step.create));
      if (JSON.stringify(status) !== JSON.stringify(d.status ?? {})) {
        await ctx.client.update(ref('deployments', namespace, d.metadata.name, 'status'), { ...d, status });
      }
      // Without events the progress deadline could pass unnoticed: look again then.
      const progress = status.conditions?.find((c) => c.type === 'Progressing');
      if (!d.spec.paused && (progress?.reason === 'ReplicaSetUpdated' || progress?.reason === 'NewReplicaSetCreated' || progress?.reason === 'DeploymentResumed')) queue.addAfter(key, (d.spec.progressDeadlineSeconds ?? 600) * 1000 + 1000);
    };
    await Promise.race([runQueue(ctx, queue, 5, sync), untilAborted(ctx.signal)]);
  },
};
