import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { JOB_TRACKING_FINALIZER, jobController, jobPod, planJob, podFailureBackoffMs, type Job, type JobStatus } from './job.js';
import { jobExpiresInMs } from './ttlafterfinished.js';
import type { WorkloadPod } from './workloads.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

const job = (spec: Partial<Job['spec']> = {}, status?: JobStatus): Job => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'job-uid', creationTimestamp: iso(T0) },
  spec: { completions: 1, parallelism: 1, backoffLimit: 6, template: { metadata: { labels: { 'job-name': 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  ...(status ? { status } : {}),
});
let n = 0;
const pod = (phase: string, opts: { tracked?: boolean; deleting?: boolean; finishedAt?: number; restarts?: number } = {}): WorkloadPod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: `pi-${++n}`, namespace: 'default', uid: `pod-${n}`, creationTimestamp: iso(T0), finalizers: opts.tracked === false ? [] : [JOB_TRACKING_FINALIZER], ...(opts.deleting ? { deletionTimestamp: iso(opts.finishedAt ?? T0) } : {}) },
  spec: { nodeName: 'w1' },
  status: { phase, containerStatuses: [{ restartCount: opts.restarts ?? 0, ...(opts.finishedAt !== undefined ? { state: { terminated: { finishedAt: iso(opts.finishedAt) } } } : {}) }] } as WorkloadPod['status'],
});
const started = { startTime: iso(T0) };

describe('job plan (fake clock)', () => {
  it('starts parallelism pods, never more than the completions left, and sets startTime', () => {
    expect(planJob(job({ completions: 3, parallelism: 2 }), [], T0)).toMatchObject({ create: 2, status: { active: 2, startTime: iso(T0) } });
    const twoDone = job({ completions: 3, parallelism: 2 }, { ...started, succeeded: 2 });
    expect(planJob(twoDone, [], T0).create).toBe(1);
  });

  it('records a finished pod as uncounted first, then counts it once its finalizer is off', () => {
    const done = pod('Succeeded');
    const first = planJob(job({ completions: 2 }), [done], T0);
    expect(first.status.uncountedTerminatedPods).toEqual({ succeeded: [done.metadata.uid] });
    expect(first.status.succeeded).toBe(0);
    expect(first.releasePods.map((p) => p.metadata.name)).toEqual([done.metadata.name]);
    const released = { ...done, metadata: { ...done.metadata, finalizers: [] } };
    const second = planJob(job({ completions: 2 }, first.status), [released], T0);
    expect(second.status).toMatchObject({ succeeded: 1, uncountedTerminatedPods: {} });
    // Counted once, also when the pod is gone (PodGC) afterwards.
    expect(planJob(job({ completions: 2 }, second.status), [], T0).status.succeeded).toBe(1);
  });

  it('declares SuccessCriteriaMet, then Complete with completionTime once no pod runs', () => {
    const plan = planJob(job({ completions: 1 }, { ...started, succeeded: 1 }), [], T0 + 5000);
    expect(plan.status.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual(['SuccessCriteriaMet=True:CompletionsReached', 'Complete=True:CompletionsReached']);
    expect(plan.status.completionTime).toBe(iso(T0 + 5000));
    expect(plan.create).toBe(0);
  });

  it('adds Complete only once every finished pod is counted, so succeeded is final when it shows', () => {
    const last = pod('Succeeded');
    const first = planJob(job({ completions: 3, parallelism: 2 }, { ...started, succeeded: 2 }), [last], T0);
    expect(first.status).toMatchObject({ succeeded: 2, uncountedTerminatedPods: { succeeded: [last.metadata.uid] } });
    expect(first.status.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet']);
    const released = { ...last, metadata: { ...last.metadata, finalizers: [] } };
    const second = planJob(job({ completions: 3, parallelism: 2 }, first.status), [released], T0 + 1000);
    expect(second.status).toMatchObject({ succeeded: 3, completionTime: iso(T0 + 1000) });
    expect(second.status.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
  });

  it('completes a work-queue Job (no completions) when one pod succeeded and none runs', () => {
    const queueJob = job({ completions: null, parallelism: 2 }, { ...started, succeeded: 1 });
    expect(planJob(queueJob, [pod('Running')], T0)).toMatchObject({ create: 0 });
    expect(planJob(queueJob, [], T0).status.conditions?.some((c) => c.type === 'Complete')).toBe(true);
  });

  it('counts a pod deleted before it succeeded as failed (a lost node never reports Failed)', () => {
    const lost = pod('Running', { deleting: true });
    expect(planJob(job(), [lost], T0).status.uncountedTerminatedPods).toEqual({ failed: [lost.metadata.uid] });
  });

  it('waits 10 s × 2^(failures-1) after the last failure before the next pod, capped at 10 min', () => {
    expect([1, 2, 3, 7, 20].map(podFailureBackoffMs)).toEqual([10_000, 20_000, 40_000, 600_000, 600_000]);
    const failedOnce = job({}, { ...started, failed: 1 });
    const failedPod = pod('Failed', { tracked: false, finishedAt: T0 });
    expect(planJob(failedOnce, [failedPod], T0 + 4000)).toMatchObject({ create: 0, requeueAfterMs: 6000 });
    expect(planJob(failedOnce, [failedPod], T0 + 10_000).create).toBe(1);
    const failedTwice = job({}, { ...started, failed: 2 });
    expect(planJob(failedTwice, [failedPod], T0 + 10_000)).toMatchObject({ create: 0, requeueAfterMs: 10_000 });
  });

  it('fails with BackoffLimitExceeded once failures pass backoffLimit: FailureTarget, then Failed', () => {
    const last = pod('Failed', { finishedAt: T0 });
    const plan = planJob(job({ backoffLimit: 1 }, { ...started, failed: 1 }), [last], T0);
    expect(plan.create).toBe(0);
    expect(plan.status.conditions?.map((c) => `${c.type}:${c.reason}`)).toEqual(['FailureTarget:BackoffLimitExceeded']);
    expect(plan.event).toMatchObject({ type: 'Warning', reason: 'BackoffLimitExceeded' });
    // Failed once the last failure is counted (its finalizer off), with failed final.
    const released = { ...last, metadata: { ...last.metadata, finalizers: [] } };
    const counted = planJob(job({ backoffLimit: 1 }, plan.status), [released], T0);
    expect(counted.status.failed).toBe(2);
    expect(counted.status.conditions?.map((c) => `${c.type}:${c.reason}`)).toEqual(['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    expect(counted.status.conditions?.[1]?.message).toBe('Job has reached the specified backoff limit');
  });

  it('counts container restarts toward backoffLimit with restartPolicy OnFailure', () => {
    const onFailure = (limit: number) => job({ backoffLimit: limit, template: { spec: { restartPolicy: 'OnFailure', containers: [] } } }, started);
    expect(planJob(onFailure(2), [pod('Running', { restarts: 1 })], T0).status.conditions).toBeUndefined();
    expect(planJob(onFailure(2), [pod('Running', { restarts: 2 })], T0).status.conditions?.[0]?.reason).toBe('BackoffLimitExceeded');
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds, deleting the running pods first', () => {
    const running = pod('Running');
    const ticking = planJob(job({ activeDeadlineSeconds: 30 }, started), [running], T0 + 10_000);
    expect(ticking).toMatchObject({ deletePods: [], requeueAfterMs: 20_000 });
    const expired = planJob(job({ activeDeadlineSeconds: 30 }, started), [running], T0 + 30_000);
    expect(expired.deletePods.map((p) => p.metadata.name)).toEqual([running.metadata.name]);
    expect(expired.status.conditions?.map((c) => `${c.type}:${c.reason}`)).toEqual(['FailureTarget:DeadlineExceeded']);
    // The pod it deleted is not another failure; once it is gone the Job is Failed.
    const after = planJob(job({ activeDeadlineSeconds: 30 }, expired.status), [{ ...running, metadata: { ...running.metadata, deletionTimestamp: iso(T0 + 30_000) } }], T0 + 31_000);
    expect(after.status.uncountedTerminatedPods).toEqual({});
    expect(after.status.conditions?.map((c) => c.type)).toEqual(['FailureTarget', 'Failed']);
  });

  it('deletes the active pods of a suspended Job and marks it Suspended', () => {
    const plan = planJob(job({ suspend: true }, started), [pod('Running')], T0);
    expect(plan.deletePods).toHaveLength(1);
    expect(plan.status.startTime).toBeUndefined();
    expect(plan.status.conditions?.[0]).toMatchObject({ type: 'Suspended', status: 'True', reason: 'JobSuspended' });
  });

  it('makes pods from the template with the controller reference and the tracking finalizer', () => {
    const p = jobPod(job());
    expect(p.metadata).toMatchObject({ generateName: 'pi-', labels: { 'job-name': 'pi' }, finalizers: [JOB_TRACKING_FINALIZER] });
    expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true });
  });

  it('expires a finished Job ttlSecondsAfterFinished after its final condition', () => {
    const finished = job({ ttlSecondsAfterFinished: 60 }, { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: iso(T0) }] });
    expect(jobExpiresInMs(finished, T0 + 10_000)).toBe(50_000);
    expect(jobExpiresInMs(job({ ttlSecondsAfterFinished: 60 }), T0)).toBeUndefined();
  });
});

describe('job controller loop (FakeApi)', () => {
  afterEach(stopFakes);

  it('runs three completions one at a time, counts them, and completes', async () => {
    const api = new FakeApi();
    api.put(ref('jobs', 'default'), job({ completions: 3, parallelism: 1 }));
    runAgainstFake(api, jobController);
    for (let i = 0; i < 3; i++) {
      await eventually(() => api.all<WorkloadPod>(ref('pods', 'default')).filter((p) => p.status?.phase !== 'Succeeded').length === 1, 5000, `pod ${i + 1}`);
      const running = api.all<WorkloadPod>(ref('pods', 'default')).find((p) => p.status?.phase !== 'Succeeded')!;
      api.put(ref('pods', 'default'), { ...running, status: { phase: 'Succeeded' } });
    }
    await eventually(() => api.find<Job>(ref('jobs'), 'default', 'pi')?.status?.conditions?.some((c) => c.type === 'Complete') ?? false, 5000, 'Complete');
    const done = api.find<Job>(ref('jobs'), 'default', 'pi')!;
    expect(done.status).toMatchObject({ succeeded: 3, failed: 0, active: 0 });
    await eventually(() => api.all<WorkloadPod>(ref('pods', 'default')).every((p) => !p.metadata.finalizers?.length), 5000, 'finalizers released');
    expect(api.all(ref('pods', 'default'))).toHaveLength(3);
  });

  it('releases the finalizer of pods whose Job is gone', async () => {
    const api = new FakeApi();
    api.put(ref('pods', 'default'), { ...jobPod(job()), metadata: { ...jobPod(job()).metadata, name: 'pi-orphan', generateName: undefined } });
    runAgainstFake(api, jobController);
    await eventually(() => !api.find<WorkloadPod>(ref('pods'), 'default', 'pi-orphan')?.metadata.finalizers?.length, 5000, 'released');
  });
});
