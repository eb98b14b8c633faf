/**
 * taint-eviction-controller: upstream's NoExecute taint manager (pkg/controller/tainteviction).
 * A pod on a node with NoExecute taints it does not tolerate is deleted at once; one that
 * tolerates them all for a while (tolerationSeconds, the smallest of the matching ones) is
 * deleted when that time has passed since the taint was added; one that tolerates them forever
 * stays. Before deleting, the pod gets the DisruptionTarget condition (DeletionByTaintManager).
 * With nodelifecycle's `unreachable`/`not-ready` taints and the DefaultTolerationSeconds
 * admission (300 s), this is how pods leave a lost node.
 */
import { isNotFound } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { recordEvent } from '../common/events.js';
import { ref } from '../common/resources.js';
import type { Node, Taint } from './nodelifecycle.js';
import type { WorkloadPod } from './workloads.js';

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

type Pod = WorkloadPod & { spec: WorkloadPod['spec'] & { tolerations?: Toleration[] } };

/** upstream's Toleration.ToleratesTaint. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * When the pod must go: undefined = never (tolerated forever, or no NoExecute taint), else the
 * time in ms (≤ now: at once). `firstSeen` stands in for a taint without timeAdded. Pure.
 */
export function evictionTime(pod: Pod, taints: Taint[], firstSeen: number): number | undefined {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (!noExecute.length) return undefined;
  let at: number | undefined;
  for (const taint of noExecute) {
    const matching = (pod.spec.tolerations ?? []).filter((t) => tolerates(t, taint));
    if (!matching.length) return Number.NEGATIVE_INFINITY;
    const bounded = matching.filter((t) => typeof t.tolerationSeconds === 'number');
    if (bounded.length < matching.length) continue; // one toleration without a bound tolerates forever
    const seconds = Math.max(0, Math.min(...bounded.map((t) => t.tolerationSeconds!)));
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : firstSeen;
    at = Math.min(at ?? Infinity, added + seconds * 1000);
  }
  return at;
}

const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export const taintEvictionController: Controller = {
  name: 'taint-eviction-controller',
  async run(ctx: ControllerContext) {
    const nodes = ctx.informers.informerFor<Node>(ref('nodes'));
    const pods = ctx.informers.informerFor<Pod>(ref('pods'));
    const queue = contextQueue(ctx, 'taint_eviction');
    const firstSeen = new Map<string, number>();
    const podsOn = (node: string) => pods.list().filter((p) => p.spec.nodeName === node);
    const enqueueNode = (node: Node) => podsOn(node.metadata.name!).forEach((p) => queue.add(objectKey(p)));
    nodes.on({ add: enqueueNode, update: (_, n) => enqueueNode(n) });
    pods.on({ add: (p) => queue.add(objectKey(p)), update: (_, p) => queue.add(objectKey(p)), delete: (p) => firstSeen.delete(objectKey(p)) });
    await Promise.all([nodes.synced(), pods.synced()]);
    const sync = async (key: string) => {
      const pod = pods.get(key);
      const node = pod?.spec.nodeName ? nodes.get(pod.spec.nodeName) : undefined;
      if (!pod || !node || pod.metadata.deletionTimestamp || isTerminal(pod)) return void firstSeen.delete(key);
      const now = ctx.now().getTime();
      const taints = node.spec?.taints ?? [];
      if (!taints.some((t) => t.effect === 'NoExecute')) return void firstSeen.delete(key);
      if (!firstSeen.has(key)) firstSeen.set(key, now);
      const at = evictionTime(pod, taints, firstSeen.get(key)!);
      if (at === undefined) return;
      if (at > now) return queue.addAfter(key, at - now);
      const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') };
      try {
        const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), condition];
        await ctx.client.patch(ref('pods', pod.metadata.namespace, pod.metadata.name, 'status'), { status: { conditions } });
        await ctx.client.delete(ref('pods', pod.metadata.namespace, pod.metadata.name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return;
      }
      ctx.log.info(`[taint-eviction-controller] deleted pod ${key} from node ${node.metadata.name}: NoExecute taint`);
      await recordEvent(ctx, pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`, 'taint-eviction-controller');
    };
    await Promise.race([runQueue(ctx, queue, 4, sync), untilAborted(ctx.signal)]);
  },
};
