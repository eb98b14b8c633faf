/**
 * batch/v1 Job and CronJob strategies: upstream's defaults (pkg/apis/batch/v1/defaults.go and
 * the Job strategy's generated selector and pod labels) and validation of what the pods may
 * do (restartPolicy OnFailure or Never, a CronJob's schedule). Rows of defaults.ts's and
 * validation.ts's tables.
 */
import { isKnownTimeZone, parseCronSchedule } from '../common/cron.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

type Obj = Record<string, unknown>;
const obj = (parent: Obj, field: string): Obj => {
  const value = parent[field];
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Obj;
  return (parent[field] = {}) as Obj;
};

function defaultJobSpec(spec: Obj): void {
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : 2147483647;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy === undefined ? 'TerminatingOrFailed' : 'Failed';
}

/** A new Job: defaults, and unless spec.manualSelector, the selector and pod labels naming its uid. */
export function createJob(job: KubeObject): void {
  const spec = obj(job, 'spec');
  defaultJobSpec(spec);
  if (spec.manualSelector === true) return;
  const uid = String(job.metadata?.uid ?? '');
  const name = String(job.metadata?.name ?? '');
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const meta = obj(obj(spec, 'template'), 'metadata');
  meta.labels = { ...((meta.labels as Obj | undefined) ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
}

export function defaultCronJob(cronJob: KubeObject): void {
  const spec = obj(cronJob, 'spec');
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultJobSpec(obj(obj(spec, 'jobTemplate'), 'spec'));
}

const RESTART_POLICIES = ['OnFailure', 'Never'];

function podTemplateCauses(template: unknown, path: string): StatusCause[] {
  const podSpec = ((template as Obj | undefined)?.spec ?? {}) as Obj;
  const causes: StatusCause[] = [];
  if (!Array.isArray(podSpec.containers) || podSpec.containers.length === 0) causes.push({ reason: 'FieldValueRequired', field: `${path}.spec.containers`, message: 'Required value' });
  const policy = podSpec.restartPolicy;
  if (!RESTART_POLICIES.includes(String(policy))) {
    causes.push(policy === undefined
      ? { reason: 'FieldValueRequired', field: `${path}.spec.restartPolicy`, message: 'Required value: valid values: "OnFailure", "Never"' }
      : { reason: 'FieldValueNotSupported', field: `${path}.spec.restartPolicy`, message: `Unsupported value: "${String(policy)}": supported values: "OnFailure", "Never"` });
  }
  return causes;
}

export function validateJob(job: KubeObject): StatusCause[] {
  return podTemplateCauses((job.spec as Obj | undefined)?.template, 'spec.template');
}

/** upstream's validateScheduleFormat: parseable, and no TZ= prefix (spec.timeZone says that). */
function scheduleCauses(schedule: string, timeZone: string | undefined): StatusCause[] {
  const invalid = (why: string): StatusCause[] => [{ reason: 'FieldValueInvalid', field: 'spec.schedule', message: `Invalid value: ${JSON.stringify(schedule)}: ${why}` }];
  if (/^\s*(CRON_TZ|TZ)=/.test(schedule)) return invalid('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  try {
    parseCronSchedule(schedule, timeZone !== undefined && isKnownTimeZone(timeZone) ? timeZone : undefined);
    return [];
  } catch (err) {
    return invalid((err as Error).message);
  }
}

export function validateCronJob(cronJob: KubeObject): StatusCause[] {
  const spec = (cronJob.spec ?? {}) as Obj;
  const causes: StatusCause[] = [];
  const timeZone = typeof spec.timeZone === 'string' ? spec.timeZone : undefined;
  if (typeof spec.schedule !== 'string' || spec.schedule.trim() === '') causes.push({ reason: 'FieldValueRequired', field: 'spec.schedule', message: 'Required value' });
  else causes.push(...scheduleCauses(spec.schedule, timeZone));
  if (timeZone !== undefined && !isKnownTimeZone(timeZone)) {
    const why = timeZone.toLowerCase() === 'local' ? 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones' : `unknown time zone ${timeZone}`;
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.timeZone', message: `Invalid value: ${JSON.stringify(timeZone)}: ${why}` });
  }
  const jobTemplate = (spec.jobTemplate ?? {}) as Obj;
  return [...causes, ...podTemplateCauses((jobTemplate.spec as Obj | undefined)?.template, 'spec.jobTemplate.spec.template')];
}
