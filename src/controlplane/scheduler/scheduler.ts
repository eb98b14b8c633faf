/**
 * The scheduling loop: one worker (pods are placed one at a time, so each decision sees the
 * previous ones) over pending pods. A placed pod is "assumed" on its node at once (its
 * requests count for the next decision) and bound through POST pods/<name>/binding in the
 * background, as upstream's binding cycle; a failed binding drops the assumption and retries. A pod that fits nowhere gets PodScheduled=False/Unschedulable with
 * upstream's message and is retried when nodes or pods change (or after a minute). Bound pods
 * stay Pending until a node agent runs them: the scheduler never touches their phase.
 */
import { isConflict, isNotFound, resourcePath } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type ControllerContext } from '../common/controller.js';
import { recordEvent } from '../common/events.js';
import { ref } from '../common/resources.js';
import { needsScheduling, schedule, type Pod, type SchedulerNode } from './schedule.js';

const RETRY_UNSCHEDULABLE_MS = 60_000;

/** The pod with PodScheduled=False/Unschedulable, or undefined when it already says so. */
export function unschedulablePod(pod: Pod, message: string, now: Date): Pod | undefined {
  const conditions = pod.status?.conditions ?? [];
  const current = conditions.find((c) => c.type === 'PodScheduled');
  if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return undefined;
  const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: now.toISOString().replace(/\.\d+Z$/, 'Z') };
  return { ...pod, status: { phase: 'Pending', ...pod.status, conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), condition] } };
}

export function bindingFor(pod: Pod, node: string) {
  return { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } };
}

export async function runSchedulingLoop(ctx: ControllerContext): Promise<void> {
  const pods = ctx.informers.informerFor<Pod>(ref('pods'));
  const nodes = ctx.informers.informerFor<SchedulerNode>(ref('nodes'));
  const queue = contextQueue(ctx, 'scheduling_queue');
  const assumed = new Map<string, Pod>();
  const unschedulable = new Set<string>();
  const retryUnschedulable = () => {
    for (const key of unschedulable) queue.add(key);
    unschedulable.clear();
  };
  const onPod = (pod: Pod) => {
    const key = objectKey(pod);
    if (pod.spec.nodeName) assumed.delete(key);
    if (needsScheduling(pod)) queue.add(key);
  };
  pods.on({
    add: onPod,
    update: (_, pod) => onPod(pod),
    delete: (pod) => {
      assumed.delete(objectKey(pod));
      unschedulable.delete(objectKey(pod));
      if (pod.spec.nodeName) retryUnschedulable();
    },
  });
  nodes.on({ add: retryUnschedulable, update: retryUnschedulable });
  await Promise.all([pods.synced(), nodes.synced()]);

  const bind = async (pod: Pod, key: string, node: string) => {
    const { namespace, name } = pod.metadata;
    try {
      await ctx.client.request('POST', resourcePath(ref('pods', namespace, name, 'binding')), { body: bindingFor(pod, node) });
      ctx.log.debug(2, `[scheduler] bound ${key} to ${node}`);
      void recordEvent(ctx, pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${node}`, 'default-scheduler');
    } catch (err) {
      assumed.delete(key);
      if (isNotFound(err) || isConflict(err)) return; // deleted, or bound by someone else meanwhile
      ctx.log.warn(`[scheduler] binding ${key} to ${node} failed (retrying): ${err instanceof Error ? err.message : String(err)}`);
      queue.addRateLimited(key);
    }
  };

  const sync = async (key: string) => {
    const pod = pods.get(key);
    if (!pod || !needsScheduling(pod) || assumed.has(key)) return;
    const bound = [...pods.list().filter((p) => p.spec.nodeName), ...assumed.values()];
    const result = schedule(pod, nodes.list(), bound);
    const { namespace, name } = pod.metadata;
    if (result.node !== undefined) {
      // As upstream: the pod is assumed on its node at once, so the next decision counts it,
      // and the binding runs in the background while the next pod is scheduled.
      const node = result.node;
      assumed.set(key, { ...pod, spec: { ...pod.spec, nodeName: node } });
      unschedulable.delete(key);
      void bind(pod, key, node);
      return;
    }
    unschedulable.add(key);
    queue.addAfter(key, RETRY_UNSCHEDULABLE_MS);
    const updated = unschedulablePod(pod, result.message, ctx.now());
    if (!updated) return;
    try {
      await ctx.client.update(ref('pods', namespace, name, 'status'), updated);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    ctx.log.info(`[scheduler] ${key} is unschedulable: ${result.message}`);
    void recordEvent(ctx, pod, 'Warning', 'FailedScheduling', result.message, 'default-scheduler');
  };
  await Promise.race([runQueue(ctx, queue, 1, sync), untilAborted(ctx.signal)]);
}
