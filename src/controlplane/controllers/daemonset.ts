/**
 * daemonset: one pod per eligible node (daemonset-placement.ts), as upstream's daemon
 * controller. Each sync first manages placement — creates the pod on nodes that lack it,
 * deletes failed ones (with back-off per node), surplus ones and ones on nodes that may no
 * longer run it — and, when that has nothing to do, takes one step of the RollingUpdate
 * (maxUnavailable: delete old pods while few enough are unavailable, the next sync recreates
 * them; maxSurge: start the new pod next to the old one, delete the old one once the new is
 * available). OnDelete replaces only the pods users delete. Every template is a
 * ControllerRevision (history.ts); pods carry its hash in `controller-revision-hash`.
 */
import { isNotFound } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import type { SchedulerNode } from '../scheduler/schedule.js';
import { resolveIntOrPercent } from './deployment.js';
import { daemonPodTolerations, nodeShouldRunDaemonPod, pinnedToNode, targetNode } from './daemonset-placement.js';
import { Expectations } from './expectations.js';
import { revisionsToPrune, storeCurrentRevision, type ControllerRevision } from './history.js';
import { controllerKey, isControlledBy, isPodAvailable, isPodReady, controlledPod, type LabelSelector, type PodTemplate, type WorkloadMeta, type WorkloadPod } from './workloads.js';
import type { KubeObject } from '../../kube/index.js';

export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export interface DaemonSet extends KubeObject {
  metadata: KubeObject['metadata'] & WorkloadMeta;
  spec: {
    selector: LabelSelector;
    template: PodTemplate;
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: {
    currentNumberScheduled?: number; numberMisscheduled?: number; desiredNumberScheduled?: number; numberReady?: number; observedGeneration?: number;
    updatedNumberScheduled?: number; numberAvailable?: number; numberUnavailable?: number; collisionCount?: number;
  };
}

export interface DaemonSetStep {
  /** Nodes that get a new pod of the current template. */
  create: string[];
  delete: WorkloadPod[];
}

const isTerminating = (p: WorkloadPod) => Boolean(p.metadata.deletionTimestamp);
const isFinished = (p: WorkloadPod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
/** upstream's podByCreationTimestampAndPhase: bound pods first, then oldest. */
const oldestFirst = (a: WorkloadPod, b: WorkloadPod) =>
  Number(!a.spec.nodeName) - Number(!b.spec.nodeName) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** The pods of each node (by target node), optionally without terminating and finished ones. */
export function podsByNode(pods: WorkloadPod[], live: boolean): Map<string, WorkloadPod[]> {
  const byNode = new Map<string, WorkloadPod[]>();
  for (const pod of pods) {
    const node = targetNode(pod);
    if (!node || (live && (isTerminating(pod) || isFinished(pod)))) continue;
    byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  return byNode;
}

/** maxSurge and maxUnavailable against desiredNumberScheduled, both rounded up; never both zero. */
export function daemonSetBudget(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const rolling = ds.spec.updateStrategy?.rollingUpdate;
  const maxSurge = resolveIntOrPercent(rolling?.maxSurge, desired, true, '0');
  let maxUnavailable = resolveIntOrPercent(rolling?.maxUnavailable, desired, true, '1');
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** upstream's manage(): placement only. `inBackoff(node)` holds back replacing failed pods. */
export function manageDaemonPods(ds: DaemonSet, nodes: SchedulerNode[], pods: WorkloadPod[], hash: string, now: number, inBackoff: (node: string) => boolean = () => false): DaemonSetStep & { failedOn: string[] } {
  const step = { create: [] as string[], delete: [] as WorkloadPod[], failedOn: [] as string[] };
  const byNode = podsByNode(pods, false);
  const allowSurge = ds.spec.updateStrategy?.type !== 'OnDelete' && daemonSetBudget(ds, nodes.length).maxSurge > 0;
  for (const node of nodes) {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(ds.spec.template, node);
    const onNode = byNode.get(name) ?? [];
    if (shouldRun && onNode.length === 0) {
      step.create.push(name);
      continue;
    }
    if (!shouldContinueRunning) {
      step.delete.push(...onNode.filter((p) => !isTerminating(p)));
      continue;
    }
    const running: WorkloadPod[] = [];
    for (const pod of onNode.filter((p) => !isTerminating(p))) {
      if (pod.status?.phase === 'Failed') {
        // A pod the node keeps rejecting must not be recreated in a hot loop.
        if (!inBackoff(name)) {
          step.delete.push(pod);
          step.failedOn.push(name);
        }
      } else if (pod.status?.phase === 'Succeeded') step.delete.push(pod);
      else running.push(pod);
    }
    running.sort(oldestFirst);
    if (!allowSurge) {
      step.delete.push(...running.slice(1));
      continue;
    }
    if (running.length === 0 && shouldRun) step.create.push(name);
    if (running.length <= 1) continue;
    // With surge: keep the oldest new pod, and the oldest old pod only while the new one is not available.
    const oldestNew = running.find((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash);
    const oldestOld = running.find((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] !== hash);
    step.delete.push(...running.filter((p) => p !== oldestNew && p !== oldestOld));
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, now))) step.delete.push(oldestOld);
  }
  return step;
}

/** The one new and one old pod of a node, or undefined when there are more (manage cleans up). */
function updatedAndOld(pods: WorkloadPod[], hash: string): { newPod?: WorkloadPod; oldPod?: WorkloadPod } | undefined {
  const result: { newPod?: WorkloadPod; oldPod?: WorkloadPod } = {};
  for (const pod of pods) {
    const field = pod.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash ? 'newPod' : 'oldPod';
    if (result[field]) return undefined;
    result[field] = pod;
  }
  return result;
}

/** upstream's rollingUpdate(): one step of replacing old pods. */
export function rollingUpdateStep(ds: DaemonSet, nodes: SchedulerNode[], pods: WorkloadPod[], hash: string, now: number): DaemonSetStep {
  const byNode = podsByNode(pods, true);
  const shouldRun = new Map(nodes.map((n) => [n.metadata.name!, nodeShouldRunDaemonPod(ds.spec.template, n).shouldRun]));
  const wanted = nodes.filter((n) => shouldRun.get(n.metadata.name!)).map((n) => n.metadata.name!);
  for (const name of wanted) if (!byNode.has(name)) byNode.set(name, []);
  const { maxSurge, maxUnavailable } = daemonSetBudget(ds, wanted.length);
  const available = (p: WorkloadPod) => isPodAvailable(p, ds.spec.minReadySeconds ?? 0, now);
  const entries = [...byNode].sort(([a], [b]) => a.localeCompare(b));
  if (maxSurge === 0) {
    let unavailable = 0;
    const replace: WorkloadPod[] = [];
    const candidates: WorkloadPod[] = [];
    for (const [, onNode] of entries) {
      const pair = updatedAndOld(onNode, hash);
      if (!pair || (!pair.newPod && !pair.oldPod) || (pair.newPod && pair.oldPod)) unavailable++;
      else if (pair.newPod) unavailable += available(pair.newPod) ? 0 : 1;
      else if (!available(pair.oldPod!)) replace.push(pair.oldPod!);
      else if (unavailable < maxUnavailable) candidates.push(pair.oldPod!);
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { create: [], delete: [...replace, ...candidates.slice(0, room)] };
  }
  const remove: WorkloadPod[] = [];
  const retiring: WorkloadPod[] = [];
  const allowed: string[] = [];
  const candidates: string[] = [];
  let surge = 0;
  let availableCount = 0;
  for (const [name, onNode] of entries) {
    const pair = updatedAndOld(onNode, hash);
    if (!pair) {
      surge++;
      continue;
    }
    const { newPod, oldPod } = pair;
    if (oldPod ? available(oldPod) : newPod && available(newPod)) availableCount++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (shouldRun.get(name)) allowed.push(name);
        else remove.push(oldPod);
      } else if (!shouldRun.get(name)) retiring.push(oldPod);
      else if (surge < maxSurge) candidates.push(name);
      continue;
    }
    if (!available(newPod)) surge++;
    else remove.push(oldPod);
  }
  // Pods on nodes that no longer qualify go only once enough pods are available elsewhere.
  remove.push(...retiring.slice(0, Math.max(0, availableCount - wanted.length)));
  const room = Math.min(Math.max(0, maxSurge - surge), candidates.length);
  return { create: [...allowed, ...candidates.slice(0, room)], delete: remove };
}

/** The pod for `node` from the template: pinned to it, with the daemon tolerations and the revision hash. */
export function daemonPod(ds: DaemonSet, node: string, hash: string): WorkloadPod {
  const pod = controlledPod(ds, 'DaemonSet', ds.spec.template, { generateName: `${ds.metadata.name}-` }, { [CONTROLLER_REVISION_HASH]: hash });
  return { ...pod, spec: { ...pod.spec, affinity: pinnedToNode(pod.spec.affinity as never, node), tolerations: daemonPodTolerations(pod.spec) } };
}

/** upstream's storeDaemonSetStatus counts. */
export function daemonSetStatus(ds: DaemonSet, nodes: SchedulerNode[], pods: WorkloadPod[], hash: string, now: number): NonNullable<DaemonSet['status']> {
  const byNode = podsByNode(pods, true);
  const counts = { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, numberAvailable: 0, updatedNumberScheduled: 0 };
  for (const node of nodes) {
    const onNode = [...(byNode.get(node.metadata.name!) ?? [])].sort(oldestFirst);
    if (!nodeShouldRunDaemonPod(ds.spec.template, node).shouldRun) {
      if (onNode.length) counts.numberMisscheduled++;
      continue;
    }
    counts.desiredNumberScheduled++;
    const pod = onNode[0];
    if (!pod) continue;
    counts.currentNumberScheduled++;
    if (isPodReady(pod)) counts.numberReady++;
    if (isPodAvailable(pod, ds.spec.minReadySeconds ?? 0, now)) counts.numberAvailable++;
    if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash) counts.updatedNumberScheduled++;
  }
  return {
    ...counts,
    numberUnavailable: counts.desiredNumberScheduled - counts.numberAvailable,
    observedGeneration: ds.metadata.generation,
    ...(ds.status?.collisionCount ? { collisionCount: ds.status.collisionCount } : {}),
  };
}

const FAILED_BACKOFF_MS = { initial: 1000, max: 15 * 60_000 };

export const daemonSetController: Controller = {
  name: 'daemonset',
  async run(ctx: ControllerContext) {
    const daemonSets = ctx.informers.informerFor<DaemonSet>(ref('daemonsets'));
    const pods = ctx.informers.informerFor<WorkloadPod>(ref('pods'));
    const nodes = ctx.informers.informerFor<SchedulerNode>(ref('nodes'));
    const revisions = ctx.informers.informerFor<ControllerRevision>(ref('controllerrevisions'));
    const queue = contextQueue(ctx, 'daemonset');
    const backoff = new Map<string, { delay: number; until: number }>();
    const expectations = new Expectations();
    const onPod = (pod: WorkloadPod, seen?: 'adds' | 'dels') => {
      const key = controllerKey(pod, 'DaemonSet');
      if (!key) return;
      if (seen) expectations.observe(key, seen);
      queue.add(key);
    };
    const all = () => daemonSets.list().forEach((ds) => queue.add(objectKey(ds)));
    daemonSets.on({ add: (ds) => queue.add(objectKey(ds)), update: (_, ds) => queue.add(objectKey(ds)) });
    pods.on({ add: (p) => onPod(p, 'adds'), update: (_, p) => onPod(p), delete: (p) => onPod(p, 'dels') });
    nodes.on({ add: all, update: (before, after) => (JSON.stringify([before.metadata.labels, before.spec]) !== JSON.stringify([after.metadata.labels, after.spec]) ? all() : undefined), delete: all });
    await Promise.all([daemonSets.synced(), pods.synced(), nodes.synced(), revisions.synced()]);
    const sync = async (key: string) => {
      const ds = daemonSets.get(key);
      if (!ds || ds.metadata.deletionTimestamp) return;
      const namespace = ds.metadata.namespace!;
      const now = ctx.now().getTime();
      const owned = revisions.list().filter((r) => r.metadata.namespace === namespace && isControlledBy(r, ds));
      const current = await storeCurrentRevision(ctx.client, ds, ref('daemonsets', namespace, ds.metadata.name, 'status'), owned, CONTROLLER_REVISION_HASH);
      if (!current) return;
      const hash = current.hash;
      const nodeList = nodes.list();
      const mine = pods.list().filter((p) => p.metadata.namespace === namespace && isControlledBy(p, ds));
      const inBackoff = (node: string) => (backoff.get(`${key}/${node}`)?.until ?? 0) > now;
      const status = daemonSetStatus(ds, nodeList, mine, hash, now);
      if (JSON.stringify(status) !== JSON.stringify(ds.status ?? {})) await ctx.client.update(ref('daemonsets', namespace, ds.metadata.name, 'status'), { ...ds, status });
      // Pods become available minReadySeconds after Ready, with no event: look again then.
      if ((ds.spec.minReadySeconds ?? 0) > 0 && status.numberAvailable !== status.numberReady) queue.addAfter(key, ds.spec.minReadySeconds! * 1000);
      if (!expectations.satisfied(key, now)) return;
      let step: DaemonSetStep = manageDaemonPods(ds, nodeList, mine, hash, now, inBackoff);
      for (const node of (step as ReturnType<typeof manageDaemonPods>).failedOn) {
        const previous = backoff.get(`${key}/${node}`);
        const delay = Math.min(previous ? previous.delay * 2 : FAILED_BACKOFF_MS.initial, FAILED_BACKOFF_MS.max);
        backoff.set(`${key}/${node}`, { delay, until: now + delay });
        queue.addAfter(key, delay);
      }
      if (!step.create.length && !step.delete.length && ds.spec.updateStrategy?.type !== 'OnDelete') step = rollingUpdateStep(ds, nodeList, mine, hash, now);
      expectations.expect(key, step.create.length, step.delete.length, now);
      const results = await Promise.allSettled([
        ...step.create.map((node) => ctx.client.create(ref('pods', namespace), daemonPod(ds, node, hash))),
        ...step.delete.map((p) => ctx.client.delete(ref('pods', namespace, p.metadata.name)).catch((err) => {
          if (!isNotFound(err)) throw err;
        })),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        expectations.forget(key);
        throw failed.reason;
      }
      if (step.create.length || step.delete.length) ctx.log.debug(2, `[daemonset] ${key}: created pods for ${step.create.join(', ') || 'no node'}, deleted ${step.delete.map((p) => p.metadata.name).join(', ') || 'none'}`);
      const live = new Set([current.revision.metadata.name!, ...mine.map((p) => `${ds.metadata.name}-${p.metadata.labels?.[CONTROLLER_REVISION_HASH]}`)]);
      for (const old of revisionsToPrune(ds, owned, live)) await ctx.client.delete(ref('controllerrevisions', namespace, old.metadata.name)).catch(() => undefined);
    };
    await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
  },
};
