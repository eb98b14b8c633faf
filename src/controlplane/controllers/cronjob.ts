/**
 * cronjob: creates a CronJob's Jobs on its schedule as upstream's cronjob controller v2
 * (pkg/controller/cronjob). The most recent missed time since status.lastScheduleTime (or
 * creation), bounded by startingDeadlineSeconds, is run once; Forbid skips it while a Job is
 * active, Replace deletes the active Jobs first. Job names are `<cronjob>-<minutes since epoch>`
 * so a repeated sync creates nothing twice. Status keeps active (Job references),
 * lastScheduleTime and lastSuccessfulTime; finished Jobs beyond the history limits are deleted
 * oldest first. `suspend` stops new runs.
 */
import { isAlreadyExists, isNotFound, resourcePath, type KubeObject } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { parseCronSchedule, type CronSchedule } from '../common/cron.js';
import { recordEvent } from '../common/events.js';
import { ref } from '../common/resources.js';
import { jobFinished, jobFinishTime, stamp, type Job, type JobSpec } from './job.js';
import { controllerOf, ownerReference } from './workloads.js';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronJob extends KubeObject {
  spec: {
    schedule: string;
    timeZone?: string;
    startingDeadlineSeconds?: number;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: JobSpec };
  };
  status?: { active?: JobReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

export interface JobReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
}

export interface CronJobPlan {
  /** The scheduled time of the Job to create now, if any. */
  run?: number;
  /** Active Jobs to delete first (Replace). */
  replace: Job[];
  /** Finished Jobs beyond the history limits. */
  prune: Job[];
  status: NonNullable<CronJob['status']>;
  requeueAtMs?: number;
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

const failedJob = (job: Job) => job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ?? false;
const jobRef = (job: Job): JobReference => ({ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name!, namespace: job.metadata.namespace!, uid: job.metadata.uid!, resourceVersion: job.metadata.resourceVersion });

/** The oldest finished Jobs past `limit`, by finish time. */
function pastLimit(jobs: Job[], limit: number): Job[] {
  const sorted = [...jobs].sort((a, b) => (jobFinishTime(a) ?? 0) - (jobFinishTime(b) ?? 0));
  return sorted.slice(0, Math.max(0, sorted.length - limit));
}

/** What the CronJob needs now, given its Jobs (the ones it controls) and a parsed schedule. Pure. */
export function planCronJob(cronJob: CronJob, jobs: Job[], schedule: CronSchedule, now: number): CronJobPlan {
  const spec = cronJob.spec;
  const active = jobs.filter((j) => !jobFinished(j) && !j.metadata.deletionTimestamp);
  const succeeded = jobs.filter((j) => jobFinished(j) && !failedJob(j));
  const lastSuccess = Math.max(Date.parse(cronJob.status?.lastSuccessfulTime ?? '') || 0, ...succeeded.map((j) => Date.parse(j.status?.completionTime ?? '') || 0));
  const status: CronJobPlan['status'] = {
    ...(cronJob.status ?? {}),
    active: active.map(jobRef),
    ...(lastSuccess > 0 ? { lastSuccessfulTime: stamp(lastSuccess) } : {}),
  };
  if (!status.active?.length) delete status.active;
  const prune = [...pastLimit(succeeded, spec.successfulJobsHistoryLimit ?? 3), ...pastLimit(jobs.filter(failedJob), spec.failedJobsHistoryLimit ?? 1)];
  const plan: CronJobPlan = { replace: [], prune, status };
  if (spec.suspend) return plan;
  const created = Date.parse(cronJob.metadata.creationTimestamp ?? '') || now;
  let earliest = Date.parse(cronJob.status?.lastScheduleTime ?? '') || created;
  if (spec.startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, now - spec.startingDeadlineSeconds * 1000);
  const due = schedule.mostRecent(earliest, now);
  plan.requeueAtMs = schedule.next(now);
  if (!due) return plan;
  if (due.missed > 100) plan.event = { type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' };
  if (spec.startingDeadlineSeconds !== undefined && due.time + spec.startingDeadlineSeconds * 1000 < now) {
    plan.event = { type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${stamp(due.time)}` };
    return plan;
  }
  if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
    plan.event = { type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' };
    return plan;
  }
  if (spec.concurrencyPolicy === 'Replace') plan.replace = active;
  plan.run = due.time;
  return plan;
}

/** The Job for the scheduled time (upstream's getJobFromTemplate2). */
export function jobForSchedule(cronJob: CronJob, scheduled: number): Job {
  const template = cronJob.spec.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cronJob.metadata.name}-${Math.floor(scheduled / 60_000)}`,
      namespace: cronJob.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: stamp(scheduled) },
      ownerReferences: [ownerReference({ ...cronJob, apiVersion: 'batch/v1', kind: 'CronJob' })],
    },
    spec: structuredClone(template.spec),
  };
}

export const cronJobController: Controller = {
  name: 'cronjob',
  async run(ctx: ControllerContext) {
    const cronJobs = ctx.informers.informerFor<CronJob>(ref('cronjobs'));
    const jobs = ctx.informers.informerFor<Job>(ref('jobs'));
    const queue = contextQueue(ctx, 'cronjob');
    const enqueueOwner = (job: Job) => {
      const owner = controllerOf(job);
      if (owner?.kind === 'CronJob') queue.add(`${job.metadata.namespace}/${owner.name}`);
    };
    cronJobs.on({ add: (c) => queue.add(objectKey(c)), update: (_, c) => queue.add(objectKey(c)) });
    jobs.on({ add: enqueueOwner, update: (_, j) => enqueueOwner(j), delete: enqueueOwner });
    await Promise.all([cronJobs.synced(), jobs.synced()]);
    const deleteJob = async (job: Job) => {
      const path = resourcePath(ref('jobs', job.metadata.namespace, job.metadata.name));
      await ctx.client.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } } }).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    };
    const sync = async (key: string) => {
      const cronJob = cronJobs.get(key);
      if (!cronJob || cronJob.metadata.deletionTimestamp) return;
      let schedule: CronSchedule;
      try {
        schedule = parseCronSchedule(cronJob.spec.schedule, cronJob.spec.timeZone);
      } catch (err) {
        await recordEvent(ctx, cronJob, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cronJob.spec.schedule)} : ${(err as Error).message}`, 'cronjob-controller');
        return;
      }
      const owned = jobs.list().filter((j) => j.metadata.namespace === cronJob.metadata.namespace && controllerOf(j)?.uid === cronJob.metadata.uid);
      const now = ctx.now().getTime();
      const plan = planCronJob(cronJob, owned, schedule, now);
      await Promise.all([...plan.replace, ...plan.prune].map(deleteJob));
      if (plan.run !== undefined) {
        const job = jobForSchedule(cronJob, plan.run);
        try {
          const made = await ctx.client.create(ref('jobs', cronJob.metadata.namespace), job);
          plan.status.active = [...(plan.status.active ?? []).filter((r) => !plan.replace.some((j) => j.metadata.uid === r.uid)), jobRef(made)];
          await recordEvent(ctx, cronJob, 'Normal', 'SuccessfulCreate', `Created job ${made.metadata.name}`, 'cronjob-controller');
        } catch (err) {
          // Made by an earlier sync whose status write was lost: the time counts as run.
          if (!isAlreadyExists(err)) throw err;
        }
        plan.status.lastScheduleTime = stamp(plan.run);
      }
      if (plan.event) await recordEvent(ctx, cronJob, plan.event.type, plan.event.reason, plan.event.message, 'cronjob-controller');
      if (JSON.stringify(plan.status) !== JSON.stringify(cronJob.status ?? {})) {
        await ctx.client.update(ref('cronjobs', cronJob.metadata.namespace, cronJob.metadata.name, 'status'), { ...cronJob, status: plan.status });
      }
      // Upstream requeues at the next time plus a little slack.
      if (plan.requeueAtMs !== undefined) queue.addAfter(key, plan.requeueAtMs - now + 100);
    };
    await Promise.race([runQueue(ctx, queue, 5, sync), untilAborted(ctx.signal)]);
  },
};
