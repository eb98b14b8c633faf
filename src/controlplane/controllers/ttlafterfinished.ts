/**
 * ttl-after-finished: deletes a finished Job (and, in the foreground, its pods) once
 * spec.ttlSecondsAfterFinished has passed since its Complete/Failed condition, as upstream's
 * ttlafterfinished controller. The Job is read again before the delete and the delete carries
 * its uid, so a Job whose TTL was raised meanwhile, or a new Job of the same name, survives.
 */
import { isNotFound, resourcePath } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { jobFinishTime, type Job } from './job.js';

/** Milliseconds until the Job expires (≤ 0: now), or undefined when it never does. Pure. */
export function jobExpiresInMs(job: Job, now: number): number | undefined {
  const ttl = job.spec.ttlSecondsAfterFinished;
  const finished = jobFinishTime(job);
  if (ttl === undefined || ttl === null || finished === undefined || job.metadata.deletionTimestamp) return undefined;
  return finished + ttl * 1000 - now;
}

export const ttlAfterFinishedController: Controller = {
  name: 'ttl-after-finished',
  async run(ctx: ControllerContext) {
    const jobs = ctx.informers.informerFor<Job>(ref('jobs'));
    const queue = contextQueue(ctx, 'ttl_jobs_to_delete');
    const enqueue = (job: Job) => {
      if (jobExpiresInMs(job, ctx.now().getTime()) !== undefined) queue.add(objectKey(job));
    };
    jobs.on({ add: enqueue, update: (_, j) => enqueue(j) });
    await jobs.synced();
    const sync = async (key: string) => {
      const cached = jobs.get(key);
      const left = cached && jobExpiresInMs(cached, ctx.now().getTime());
      if (left === undefined) return;
      if (left > 0) return queue.addAfter(key, left);
      try {
        const live = await ctx.client.get<Job>(ref('jobs', cached!.metadata.namespace, cached!.metadata.name));
        const liveLeft = jobExpiresInMs(live, ctx.now().getTime());
        if (liveLeft === undefined) return;
        if (liveLeft > 0) return queue.addAfter(key, liveLeft);
        const path = resourcePath(ref('jobs', live.metadata.namespace, live.metadata.name));
        await ctx.client.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground', preconditions: { uid: live.metadata.uid } } });
        ctx.log.debug(2, `[ttl-after-finished] deleted job ${key}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    };
    await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
  },
};
