/**
 * job: runs a Job's pods to completion as upstream's controller (pkg/controller/job) does for
 * NonIndexed Jobs. Pods carry the `batch.kubernetes.io/job-tracking` finalizer; a finished pod
 * is first recorded in status.uncountedTerminatedPods, then loses the finalizer, then moves into
 * status.succeeded/failed — so no pod is counted twice or lost when it is deleted. A pod being
 * deleted that did not succeed counts as failed (it may never reach Failed on a lost node).
 * New pods after failures wait 10 s × 2^(failures-1) (capped at 10 min); past spec.backoffLimit
 * the Job fails with BackoffLimitExceeded, past activeDeadlineSeconds with DeadlineExceeded
 * (FailureTarget first, Failed once no pod runs); SuccessCriteriaMet then Complete once
 * `completions` pods succeeded. spec.suspend deletes the active pods.
 */
import { isNotFound, type KubeObject } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { recordEvent } from '../common/events.js';
import { ref } from '../common/resources.js';
import { podsToDelete } from './replicaset.js';
import { controllerOf, isPodReady, ownerReference, type PodTemplate, type WorkloadPod } from './workloads.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 600_000;

export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface JobSpec {
  completions?: number | null;
  parallelism?: number;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  suspend?: boolean;
  template: PodTemplate;
}

export interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

export interface Job extends KubeObject {
  spec: JobSpec;
  status?: JobStatus;
}

type Pod = WorkloadPod & {
  status?: WorkloadPod['status'] & { containerStatuses?: Array<{ restartCount?: number; state?: { terminated?: { finishedAt?: string } } }> };
};

export const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const hasCondition = (job: Job, type: string) => job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

/** Complete or Failed: the Job is done. */
export const jobFinished = (job: Job) => hasCondition(job, 'Complete') || hasCondition(job, 'Failed');
/** When it finished (the final condition's transition time), if it did. */
export function jobFinishTime(job: Job): number | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

const tracked = (pod: Pod) => pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
const podSucceeded = (pod: Pod) => pod.status?.phase === 'Succeeded';
/** upstream's isPodFailed: Failed, or being deleted without having succeeded. */
const podFailed = (pod: Pod) => pod.status?.phase === 'Failed' || (Boolean(pod.metadata.deletionTimestamp) && !podSucceeded(pod));
const podActive = (pod: Pod) => !podSucceeded(pod) && !podFailed(pod);

/** When a failed pod failed: its last container's end, else its deletion, else its creation. */
function failedAt(pod: Pod): number {
  const ends = (pod.status?.containerStatuses ?? []).map((c) => Date.parse(c.state?.terminated?.finishedAt ?? '')).filter(Number.isFinite);
  if (ends.length) return Math.max(...ends);
  return Date.parse(pod.metadata.deletionTimestamp ?? pod.metadata.creationTimestamp ?? '1970-01-01T00:00:00Z');
}

const restarts = (pod: Pod) => (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);

/** The delay before the next pod after `failures` failures (upstream's pod failure back-off). */
export const podFailureBackoffMs = (failures: number) => (failures <= 0 ? 0 : Math.min(POD_FAILURE_BACKOFF_MS * 2 ** (failures - 1), MAX_POD_FAILURE_BACKOFF_MS));

export interface JobPlan {
  status: JobStatus;
  create: number;
  /** Active pods to delete (a finished or suspended Job, or above parallelism). */
  deletePods: Pod[];
  /** Pods whose finalizer comes off once the status above is written. */
  releasePods: Pod[];
  /** Sync again after this long (back-off, deadline). */
  requeueAfterMs?: number;
  /** A Warning/Normal event to record for a decision taken now. */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

function condition(type: string, reason: string, message: string, now: number, status = 'True'): JobCondition {
  return { type, status, reason, message, lastProbeTime: stamp(now), lastTransitionTime: stamp(now) };
}

function withCondition(conditions: JobCondition[], next: JobCondition): JobCondition[] {
  const existing = conditions.find((c) => c.type === next.type);
  if (existing?.status === next.status) return conditions;
  return [...conditions.filter((c) => c.type !== next.type), next];
}

/** What the Job needs now, from its pods (the ones it controls) and the time. Pure. */
export function planJob(job: Job, pods: Pod[], now: number): JobPlan {
  const spec = job.spec;
  const previous = job.status ?? {};
  const uncounted = { succeeded: [...(previous.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(previous.uncountedTerminatedPods?.failed ?? [])] };
  let succeeded = previous.succeeded ?? 0;
  let failed = previous.failed ?? 0;
  const byUid = new Map(pods.map((p) => [p.metadata.uid!, p]));
  // Recorded pods that no longer carry the finalizer are counted for good.
  for (const kind of ['succeeded', 'failed'] as const) {
    const flushed = uncounted[kind].filter((uid) => !byUid.get(uid) || !tracked(byUid.get(uid)!));
    uncounted[kind] = uncounted[kind].filter((uid) => !flushed.includes(uid));
    if (kind === 'succeeded') succeeded += flushed.length;
    else failed += flushed.length;
  }
  const interimDone = hasCondition(job, 'FailureTarget') || hasCondition(job, 'SuccessCriteriaMet');
  const releasePods: Pod[] = [];
  for (const pod of pods) {
    if (!tracked(pod) || podActive(pod)) continue;
    const uid = pod.metadata.uid!;
    const recorded = uncounted.succeeded.includes(uid) || uncounted.failed.includes(uid);
    // After the Job's outcome is decided, pods it deletes are not counted as failures.
    if (!recorded && !(interimDone && !podSucceeded(pod))) (podSucceeded(pod) ? uncounted.succeeded : uncounted.failed).push(uid);
    releasePods.push(pod);
  }
  const active = pods.filter(podActive);
  const allSucceeded = succeeded + uncounted.succeeded.length;
  const allFailed = failed + uncounted.failed.length;
  // Suspending resets the start (and so the deadline), as upstream.
  const startTime = spec.suspend ? undefined : (previous.startTime ?? stamp(now));
  let conditions = previous.conditions ?? [];
  let event: JobPlan['event'];
  let requeueAfterMs: number | undefined;

  // The outcome: failure (back-off limit, deadline) or success, decided once.
  if (!interimDone && !jobFinished(job)) {
    const backoffLimit = spec.backoffLimit ?? 6;
    const onFailure = (spec.template.spec as { restartPolicy?: string }).restartPolicy === 'OnFailure';
    const restarted = onFailure ? active.reduce((n, p) => n + restarts(p), 0) : 0;
    const deadlineAt = startTime && spec.activeDeadlineSeconds !== undefined ? Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
    const completions = spec.completions ?? undefined;
    const complete = completions !== undefined ? allSucceeded >= completions : allSucceeded > 0 && active.length === 0;
    let failure: [string, string] | undefined;
    // upstream: failed > backoffLimit, or (OnFailure) container restarts reaching it.
    if (allFailed > backoffLimit || (onFailure && (backoffLimit === 0 ? restarted > 0 : restarted >= backoffLimit))) failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
    else if (deadlineAt !== undefined && now >= deadlineAt) failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
    else if (deadlineAt !== undefined) requeueAfterMs = deadlineAt - now;
    if (failure) {
      conditions = withCondition(conditions, condition('FailureTarget', failure[0], failure[1], now));
      event = { type: 'Warning', reason: failure[0], message: failure[1] };
    } else if (complete) {
      conditions = withCondition(conditions, condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', now));
      event = { type: 'Normal', reason: 'Completed', message: 'Job completed' };
    }
  }
  const failing = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
  const succeeding = conditions.some((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
  let create = 0;
  let deletePods: Pod[] = [];
  if (failing || succeeding || spec.suspend) {
    deletePods = active;
    requeueAfterMs = undefined;
  } else {
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions ?? undefined;
    const wantActive = completions === undefined ? (allSucceeded > 0 ? 0 : parallelism) : Math.max(0, Math.min(parallelism, completions - allSucceeded));
    if (active.length > wantActive) deletePods = podsToDelete(active, active.length - wantActive);
    else if (active.length < wantActive) {
      const failuresSeen = pods.filter(podFailed);
      const lastFailure = failuresSeen.length ? Math.max(...failuresSeen.map(failedAt)) : undefined;
      const wait = lastFailure === undefined ? 0 : lastFailure + podFailureBackoffMs(allFailed) - now;
      if (wait > 0) requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
      else create = wantActive - active.length;
    }
  }
  if (spec.suspend && !jobFinished(job) && !failing && !succeeding) conditions = withCondition(conditions, condition('Suspended', 'JobSuspended', 'Job suspended', now));
  else if (!spec.suspend && hasCondition(job, 'Suspended')) conditions = withCondition(conditions, condition('Suspended', 'JobResumed', 'Job resumed', now, 'False'));
  // The final condition once no pod of the Job runs any more and every finished pod is counted
  // (upstream adds it only with uncountedTerminatedPods empty, so `succeeded` is final by then).
  const drained = active.length === 0 && create === 0 && uncounted.succeeded.length === 0 && uncounted.failed.length === 0;
  let completionTime = previous.completionTime;
  if (drained && failing && !hasCondition(job, 'Failed')) conditions = withCondition(conditions, condition('Failed', failing.reason ?? '', failing.message ?? '', now));
  if (drained && succeeding && !hasCondition(job, 'Complete')) {
    conditions = withCondition(conditions, condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now));
    completionTime = stamp(now);
  }
  const { startTime: _previousStart, ...kept } = previous;
  const status: JobStatus = {
    ...kept,
    active: active.length - deletePods.length + create,
    succeeded: allSucceeded - uncounted.succeeded.length,
    failed: allFailed - uncounted.failed.length,
    terminating: pods.filter((p) => p.metadata.deletionTimestamp && !podSucceeded(p) && p.status?.phase !== 'Failed').length,
    ready: active.filter(isPodReady).length,
    uncountedTerminatedPods: { ...(uncounted.succeeded.length ? { succeeded: uncounted.succeeded } : {}), ...(uncounted.failed.length ? { failed: uncounted.failed } : {}) },
    ...(startTime ? { startTime } : {}),
    ...(completionTime ? { completionTime } : {}),
    ...(conditions.length ? { conditions } : {}),
  };
  return { status, create, deletePods, releasePods, requeueAfterMs, event };
}

export function jobPod(job: Job): Pod {
  const template = job.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${job.metadata.name}-`,
      namespace: job.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: template.metadata?.annotations && { ...template.metadata.annotations },
      ownerReferences: [ownerReference({ ...job, apiVersion: 'batch/v1', kind: 'Job' })],
      finalizers: [JOB_TRACKING_FINALIZER],
    },
    spec: structuredClone(template.spec),
  };
}

const sameStatus = (a: JobStatus | undefined, b: JobStatus) => {
  const strip = (s: JobStatus | undefined) => JSON.stringify({ ...s, conditions: s?.conditions?.map((c) => ({ ...c, lastProbeTime: undefined })) });
  return strip(a) === strip(b);
};

/** Takes the job-tracking finalizer off a pod (a no-op when it is gone already). */
async function releasePod(ctx: ControllerContext, pod: Pod): Promise<void> {
  const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
  try {
    await ctx.client.patch(ref('pods', pod.metadata.namespace, pod.metadata.name), { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: pod.metadata.resourceVersion } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

const ignoreNotFound = (err: unknown) => {
  if (!isNotFound(err)) throw err;
};

export const jobController: Controller = {
  name: 'job',
  async run(ctx: ControllerContext) {
    const jobs = ctx.informers.informerFor<Job>(ref('jobs'));
    const pods = ctx.informers.informerFor<Pod>(ref('pods'));
    const queue = contextQueue(ctx, 'job');
    const ownerKey = (pod: Pod) => {
      const owner = controllerOf(pod);
      return owner?.kind === 'Job' ? `${pod.metadata.namespace}/${owner.name}` : undefined;
    };
    const enqueuePod = (pod: Pod) => {
      const key = ownerKey(pod);
      if (key) queue.add(key);
    };
    jobs.on({ add: (j) => queue.add(objectKey(j)), update: (_, j) => queue.add(objectKey(j)) });
    pods.on({ add: enqueuePod, update: (_, p) => enqueuePod(p), delete: enqueuePod });
    await Promise.all([jobs.synced(), pods.synced()]);
    // Creations in flight per Job, so a sync before the informer saw them does not repeat them.
    const expecting = new Map<string, number>();
    pods.on({ add: (p) => {
      const key = ownerKey(p);
      if (key && (expecting.get(key) ?? 0) > 0) expecting.set(key, expecting.get(key)! - 1);
    } });
    const sync = async (key: string) => {
      const job = jobs.get(key);
      const owned = pods.list().filter((p) => p.metadata.namespace === key.split('/')[0] && ownerKey(p) === key && (!job || controllerOf(p)?.uid === job.metadata.uid));
      if (!job || job.metadata.deletionTimestamp) {
        // An orphaned or deleted Job's pods must not stay stuck on its finalizer.
        await Promise.all(owned.filter(tracked).map((p) => releasePod(ctx, p)));
        return;
      }
      if ((expecting.get(key) ?? 0) > 0) return;
      const now = ctx.now().getTime();
      const plan = planJob(job, owned, now);
      if (plan.create > 0) expecting.set(key, plan.create);
      const creations = Array.from({ length: plan.create }, () => ctx.client.create(ref('pods', job.metadata.namespace), jobPod(job)));
      const deletions = plan.deletePods.map((p) => ctx.client.delete(ref('pods', p.metadata.namespace, p.metadata.name)).catch(ignoreNotFound));
      const results = await Promise.allSettled([...creations, ...deletions]);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        expecting.delete(key);
        throw failure.reason;
      }
      if (!sameStatus(job.status, plan.status)) await ctx.client.update(ref('jobs', job.metadata.namespace, job.metadata.name, 'status'), { ...job, status: plan.status });
      // Only after the status records them may the pods lose the finalizer.
      await Promise.all(plan.releasePods.map((p) => releasePod(ctx, p)));
      if (plan.event) await recordEvent(ctx, job, plan.event.type, plan.event.reason, plan.event.message, 'job-controller');
      if (plan.create) ctx.log.debug(2, `[job] ${key}: created ${plan.create} pod(s)`);
      if (plan.requeueAfterMs !== undefined) queue.addAfter(key, plan.requeueAfterMs);
    };
    await Promise.race([runQueue(ctx, queue, 5, sync), untilAborted(ctx.signal)]);
  },
};
