/**
 * podgc: upstream's pod garbage collector (pkg/controller/podgc), every 20 s:
 * - orphaned pods, bound to a node that no longer exists (confirmed by a live GET of the node),
 *   are marked Failed with DisruptionTarget (DeletionByPodGC) and deleted at once;
 * - terminating pods that were never scheduled are deleted at once;
 * - finished (Succeeded/Failed) pods beyond --terminated-pod-gc-threshold (12500; 0 turns it
 *   off) are deleted, oldest first.
 */
import { isNotFound, resourcePath } from '../../kube/index.js';
import { untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import type { Node } from './nodelifecycle.js';
import type { WorkloadPod } from './workloads.js';

export const POD_GC_PERIOD_MS = 20_000;

export interface PodGCOptions {
  terminatedPodThreshold: number;
  periodMs?: number;
}

export interface PodGCPlan {
  /** Bound to a node that seems gone (to be confirmed live). */
  orphaned: WorkloadPod[];
  unscheduledTerminating: WorkloadPod[];
  terminatedOverThreshold: WorkloadPod[];
}

const terminated = (p: WorkloadPod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Which pods to collect, given the nodes the cache knows. Pure. */
export function planPodGC(pods: WorkloadPod[], nodeKnown: (name: string) => boolean, threshold: number): PodGCPlan {
  const finished = pods.filter((p) => terminated(p) && !p.metadata.deletionTimestamp);
  const excess = threshold > 0 ? finished.length - threshold : 0;
  const oldestFirst = [...finished].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
  return {
    orphaned: pods.filter((p) => p.spec.nodeName && !nodeKnown(p.spec.nodeName)),
    unscheduledTerminating: pods.filter((p) => !p.spec.nodeName && p.metadata.deletionTimestamp),
    terminatedOverThreshold: excess > 0 ? oldestFirst.slice(0, excess) : [],
  };
}

export function podGCController(options: PodGCOptions): Controller {
  return {
    name: 'podgc',
    async run(ctx: ControllerContext) {
      const pods = ctx.informers.informerFor<WorkloadPod>(ref('pods'));
      const nodes = ctx.informers.informerFor<Node>(ref('nodes'));
      await Promise.all([pods.synced(), nodes.synced()]);
      const forceDelete = async (pod: WorkloadPod) => {
        const path = resourcePath(ref('pods', pod.metadata.namespace, pod.metadata.name));
        await ctx.client.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } } });
      };
      const nodeGone = async (name: string) => {
        try {
          await ctx.client.get(ref('nodes', undefined, name));
          return false;
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
      };
      const pass = async () => {
        const plan = planPodGC(pods.list(), (name) => nodes.get(name) !== undefined, options.terminatedPodThreshold);
        const goneNodes = new Map<string, boolean>();
        for (const pod of plan.orphaned) {
          const node = pod.spec.nodeName!;
          if (!goneNodes.has(node)) goneNodes.set(node, await nodeGone(node));
          if (!goneNodes.get(node)) continue;
          if (!terminated(pod)) {
            const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: ctx.now().toISOString().replace(/\.\d+Z$/, 'Z') };
            await ctx.client.patch(ref('pods', pod.metadata.namespace, pod.metadata.name, 'status'), { status: { phase: 'Failed', conditions: [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), condition] } });
          }
          await forceDelete(pod);
          ctx.log.info(`[podgc] deleted pod ${pod.metadata.namespace}/${pod.metadata.name}: its node ${node} no longer exists`);
        }
        for (const pod of [...plan.unscheduledTerminating, ...plan.terminatedOverThreshold]) await forceDelete(pod);
        if (plan.terminatedOverThreshold.length) ctx.log.info(`[podgc] deleted ${plan.terminatedOverThreshold.length} finished pod(s) over the threshold of ${options.terminatedPodThreshold}`);
      };
      const loop = async () => {
        while (!ctx.signal.aborted) {
          try {
            await pass();
          } catch (err) {
            if (!isNotFound(err)) ctx.log.warn(`[podgc] ${err instanceof Error ? err.message : String(err)}`);
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.periodMs ?? POD_GC_PERIOD_MS);
            ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
          });
        }
      };
      await Promise.race([loop(), untilAborted(ctx.signal)]);
    },
  };
}
