import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { parseCronSchedule } from '../common/cron.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { cronJobController, jobForSchedule, planCronJob, SCHEDULED_TIMESTAMP_ANNOTATION, type CronJob } from './cronjob.js';
import type { Job } from './job.js';
import { validateCronJob } from '../apiserver/batch.js';

const at = (text: string) => Date.parse(text);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

const cronJob = (spec: Partial<CronJob['spec']> = {}, status?: CronJob['status'], created = '2026-01-01T00:00:00Z'): CronJob => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', namespace: 'default', uid: 'cj-uid', creationTimestamp: created },
  spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...spec },
  ...(status ? { status } : {}),
});
const job = (name: string, outcome?: 'Complete' | 'Failed', finished = '2026-01-01T00:00:00Z'): Job => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { template: { spec: {} } },
  status: outcome ? { conditions: [{ type: outcome, status: 'True', lastTransitionTime: finished }], ...(outcome === 'Complete' ? { completionTime: finished } : {}) } : { active: 1 },
});

describe('cron schedules', () => {
  const next = (schedule: string, from: string, zone?: string) => iso(parseCronSchedule(schedule, zone).next(at(from)));

  it('reads five fields, steps, ranges and day names', () => {
    expect(next('*/15 * * * *', '2026-01-01T00:07:00Z')).toBe('2026-01-01T00:15:00Z');
    expect(next('0 9 * * MON-FRI', '2026-01-02T10:00:00Z')).toBe('2026-01-05T09:00:00Z');
  });

  it('reads the macros, @midnight and @every', () => {
    expect(next('@hourly', '2026-01-01T00:07:00Z')).toBe('2026-01-01T01:00:00Z');
    expect(next('@midnight', '2026-01-01T00:07:00Z')).toBe('2026-01-02T00:00:00Z');
    expect(next('@every 90s', '2026-01-01T00:00:00Z')).toBe('2026-01-01T00:01:30Z');
  });

  it('runs in spec.timeZone or a CRON_TZ prefix, across daylight-saving changes', () => {
    expect(next('0 9 * * *', '2026-01-01T00:00:00Z', 'Europe/Berlin')).toBe('2026-01-01T08:00:00Z');
    expect(next('CRON_TZ=America/New_York 0 9 * * *', '2026-07-01T00:00:00Z')).toBe('2026-07-01T13:00:00Z');
    expect(next('0 9 * * *', '2026-03-29T00:00:00Z', 'Europe/Berlin')).toBe('2026-03-29T07:00:00Z');
  });

  it('finds the most recent missed time and counts the missed ones', () => {
    const every = parseCronSchedule('*/1 * * * *');
    expect(every.mostRecent(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:03:30Z'))).toEqual({ time: at('2026-01-01T00:03:00Z'), missed: 3 });
    expect(every.mostRecent(at('2026-01-01T00:03:00Z'), at('2026-01-01T00:03:59Z'))).toBeUndefined();
    expect(every.mostRecent(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:00Z'))).toEqual({ time: at('2026-01-01T00:01:00Z'), missed: 1 });
  });

  it('refuses what robfig/cron refuses, saying why', () => {
    expect(() => parseCronSchedule('* * * * * *')).toThrow('expected exactly 5 fields, found 6');
    expect(() => parseCronSchedule('61 * * * *')).toThrow();
    expect(() => parseCronSchedule('@fortnightly')).toThrow('unrecognized descriptor: @fortnightly');
    expect(() => parseCronSchedule('* * * * *', 'Mars/Olympus')).toThrow('unknown time zone Mars/Olympus');
  });
});

describe('CronJob validation', () => {
  const fields = (cj: CronJob) => validateCronJob(cj as never).map((c) => `${c.field}: ${c.message}`);

  it('names spec.schedule for an unparseable schedule, and for a TZ prefix', () => {
    expect(fields(cronJob({ schedule: 'every minute' }))).toEqual([expect.stringMatching(/^spec\.schedule: Invalid value: "every minute": /)]);
    expect(fields(cronJob({ schedule: 'TZ=UTC * * * * *' }))).toEqual(['spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  });

  it('names spec.timeZone for an unknown or Local zone', () => {
    expect(fields(cronJob({ timeZone: 'Mars/Olympus' }))).toEqual(['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
    expect(fields(cronJob({ timeZone: 'Local' }))[0]).toContain('must be an explicit time zone');
    expect(fields(cronJob({ schedule: '@hourly', timeZone: 'Asia/Tokyo' }))).toEqual([]);
  });
});

describe('cronjob plan (fake clock)', () => {
  const every = parseCronSchedule('*/1 * * * *');

  it('runs the most recent missed time once, and waits for the next one', () => {
    const plan = planCronJob(cronJob(), [], every, at('2026-01-01T00:05:10Z'));
    expect(plan.run).toBe(at('2026-01-01T00:05:00Z'));
    expect(plan.requeueAtMs).toBe(at('2026-01-01T00:06:00Z'));
    expect(planCronJob(cronJob({}, { lastScheduleTime: '2026-01-01T00:05:00Z' }), [], every, at('2026-01-01T00:05:40Z')).run).toBeUndefined();
  });

  it('names the Job by the scheduled minute and stamps the scheduled time', () => {
    const j = jobForSchedule(cronJob(), at('2026-01-01T00:05:00Z'));
    expect(j.metadata.name).toBe(`tick-${at('2026-01-01T00:05:00Z') / 60_000}`);
    expect(j.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).toBe('2026-01-01T00:05:00Z');
    expect(j.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', uid: 'cj-uid', controller: true });
  });

  it('skips a time older than startingDeadlineSeconds', () => {
    const late = cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 });
    const plan = planCronJob(late, [], parseCronSchedule('0 * * * *'), at('2026-01-01T01:05:00Z'));
    expect(plan.run).toBeUndefined();
    expect(planCronJob(late, [], parseCronSchedule('0 * * * *'), at('2026-01-01T01:00:30Z')).run).toBe(at('2026-01-01T01:00:00Z'));
  });

  it('applies concurrencyPolicy: Allow runs beside, Forbid skips, Replace deletes the active Job', () => {
    const now = at('2026-01-01T00:02:05Z');
    const running = [job('tick-1')];
    expect(planCronJob(cronJob({ concurrencyPolicy: 'Allow' }), running, every, now)).toMatchObject({ run: at('2026-01-01T00:02:00Z'), replace: [] });
    const forbidden = planCronJob(cronJob({ concurrencyPolicy: 'Forbid' }), running, every, now);
    expect(forbidden.run).toBeUndefined();
    expect(forbidden.event?.reason).toBe('JobAlreadyActive');
    expect(planCronJob(cronJob({ concurrencyPolicy: 'Replace' }), running, every, now).replace.map((j) => j.metadata.name)).toEqual(['tick-1']);
  });

  it('does nothing new while suspended, but keeps status', () => {
    const plan = planCronJob(cronJob({ suspend: true }), [job('tick-1')], every, at('2026-01-01T00:09:00Z'));
    expect(plan.run).toBeUndefined();
    expect(plan.status.active?.map((r) => r.name)).toEqual(['tick-1']);
  });

  it('keeps successfulJobsHistoryLimit and failedJobsHistoryLimit, deleting the oldest', () => {
    const jobs = [job('a', 'Complete', '2026-01-01T00:01:00Z'), job('b', 'Complete', '2026-01-01T00:02:00Z'), job('c', 'Complete', '2026-01-01T00:03:00Z'), job('f1', 'Failed', '2026-01-01T00:01:00Z'), job('f2', 'Failed', '2026-01-01T00:02:00Z')];
    const plan = planCronJob(cronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1, suspend: true }), jobs, every, at('2026-01-01T00:04:00Z'));
    expect(plan.prune.map((j) => j.metadata.name)).toEqual(['a', 'f1']);
    expect(plan.status.lastSuccessfulTime).toBe('2026-01-01T00:03:00Z');
  });
});

describe('cronjob controller loop (FakeApi)', () => {
  afterEach(stopFakes);

  it('creates the Job of the missed minute and records lastScheduleTime and active', async () => {
    const api = new FakeApi();
    const created = iso(Date.now() - 120_000);
    api.put(ref('cronjobs', 'default'), cronJob({}, undefined, created));
    runAgainstFake(api, cronJobController);
    await eventually(() => api.all(ref('jobs', 'default')).length === 1, 5000, 'a Job');
    await eventually(() => (api.find<CronJob>(ref('cronjobs'), 'default', 'tick')?.status?.active?.length ?? 0) === 1, 5000, 'status.active');
    const status = api.find<CronJob>(ref('cronjobs'), 'default', 'tick')!.status!;
    expect(Date.parse(status.lastScheduleTime!) % 60_000).toBe(0);
    expect(api.all<Job>(ref('jobs', 'default'))[0]!.metadata.name).toBe(`tick-${Date.parse(status.lastScheduleTime!) / 60_000}`);
  });
});
