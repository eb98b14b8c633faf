/**
 * nodelifecycle: notices nodes whose agent stopped. Like upstream it times a node by when it
 * last SAW the node's Lease (kube-node-lease/<node>) renewed or its Ready heartbeat change,
 * on its own clock (so clock skew between machines does not matter), and gives every node a
 * full grace period from when it first saw it. Past --node-monitor-grace-period (40 s) the
 * node's Ready (and pressure) conditions become Unknown/NodeStatusUnknown and it gets the
 * taints node.kubernetes.io/unreachable:NoSchedule and :NoExecute; a node reporting Ready=False
 * gets node.kubernetes.io/not-ready instead. When the agent renews its Lease and reports Ready
 * again, the taints are removed. The controller never sets Ready=True itself.
 */
import type { KubeObject } from '../../kube/index.js';
import { contextQueue, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface Node extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean; podCIDR?: string; podCIDRs?: string[] };
  status?: { conditions?: NodeCondition[]; allocatable?: Record<string, string>; capacity?: Record<string, string> };
}

export interface NodeLease extends KubeObject {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const DEFAULT_NODE_MONITOR_GRACE_MS = 40_000;
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
const WATCHED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** What the controller remembers of a node: when it last saw it alive, and what it saw. */
export interface NodeHealth {
  probeTimestamp: number;
  leaseRenewTime?: string;
  readyHeartbeat?: string;
}

const readyCondition = (node: Node) => node.status?.conditions?.find((c) => c.type === 'Ready');

/** Updates the health record from the node and its Lease as seen at `now`. */
export function observeNodeHealth(previous: NodeHealth | undefined, node: Node, lease: NodeLease | undefined, now: number): NodeHealth {
  const leaseRenewTime = lease?.spec?.renewTime;
  const readyHeartbeat = readyCondition(node)?.lastHeartbeatTime;
  if (!previous) return { probeTimestamp: now, leaseRenewTime, readyHeartbeat };
  const renewed = leaseRenewTime !== undefined && leaseRenewTime !== previous.leaseRenewTime;
  const heartbeat = readyHeartbeat !== undefined && readyHeartbeat !== previous.readyHeartbeat;
  return { probeTimestamp: renewed || heartbeat ? now : previous.probeTimestamp, leaseRenewTime, readyHeartbeat };
}

const stamp = (now: number) => new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');

/** The node's conditions once it is judged: unchanged while fresh, Unknown once stale. */
function judgedConditions(node: Node, health: NodeHealth, now: number, graceMs: number): NodeCondition[] {
  const conditions = node.status?.conditions ?? [];
  if (now - health.probeTimestamp <= graceMs) return conditions;
  const out = conditions.map((c) =>
    WATCHED_CONDITIONS.includes(c.type) && c.status !== 'Unknown'
      ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp(now) }
      : c,
  );
  for (const type of WATCHED_CONDITIONS) {
    if (!out.some((c) => c.type === type)) out.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: stamp(now) });
  }
  return out;
}

/** The node's taints given its Ready status: unreachable for Unknown, not-ready for False. */
export function judgedTaints(existing: Taint[], readyStatus: string | undefined, now: number): Taint[] {
  const key = readyStatus === 'Unknown' ? UNREACHABLE_TAINT : readyStatus === 'False' ? NOT_READY_TAINT : undefined;
  const controlled = (t: Taint) => t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT;
  const wanted: Taint[] = key ? [{ key, effect: 'NoSchedule' }, { key, effect: 'NoExecute', timeAdded: stamp(now) }] : [];
  const kept = existing.filter((t) => !controlled(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
  for (const w of wanted) if (!kept.some((t) => t.key === w.key && t.effect === w.effect)) kept.push(w);
  return kept;
}

export interface NodeLifecycleUpdate {
  conditions?: NodeCondition[];
  taints?: Taint[];
}

/** The writes the node needs now, or undefined when it is as it should be. */
export function nodeLifecycleUpdate(node: Node, health: NodeHealth, now: number, graceMs: number): NodeLifecycleUpdate | undefined {
  const conditions = judgedConditions(node, health, now, graceMs);
  const ready = conditions.find((c) => c.type === 'Ready')?.status;
  const existingTaints = node.spec?.taints ?? [];
  const taints = judgedTaints(existingTaints, ready, now);
  const update: NodeLifecycleUpdate = {};
  if (JSON.stringify(conditions) !== JSON.stringify(node.status?.conditions ?? [])) update.conditions = conditions;
  if (JSON.stringify(taints) !== JSON.stringify(existingTaints)) update.taints = taints;
  return update.conditions || update.taints ? update : undefined;
}

export interface NodeLifecycleOptions {
  gracePeriodMs: number;
  monitorPeriodMs: number;
}

export function nodeLifecycleController(options: NodeLifecycleOptions = { gracePeriodMs: DEFAULT_NODE_MONITOR_GRACE_MS, monitorPeriodMs: DEFAULT_NODE_MONITOR_PERIOD_MS }): Controller {
  return {
    name: 'nodelifecycle',
    async run(ctx: ControllerContext) {
      const nodes = ctx.informers.informerFor<Node>(ref('nodes'));
      const leases = ctx.informers.informerFor<NodeLease>(ref('leases', 'kube-node-lease'));
      const queue = contextQueue(ctx, 'node_lifecycle_controller');
      const health = new Map<string, NodeHealth>();
      const observe = (name: string) => {
        const node = nodes.get(name);
        if (!node) return void health.delete(name);
        health.set(name, observeNodeHealth(health.get(name), node, leases.get(`kube-node-lease/${name}`), ctx.now().getTime()));
        queue.add(name);
      };
      nodes.on({ add: (n) => observe(n.metadata.name!), update: (_, n) => observe(n.metadata.name!), delete: (n) => health.delete(n.metadata.name!) });
      leases.on({ add: (l) => observe(l.metadata.name!), update: (_, l) => observe(l.metadata.name!) });
      await Promise.all([nodes.synced(), leases.synced()]);
      const timer = setInterval(() => nodes.list().forEach((n) => observe(n.metadata.name!)), options.monitorPeriodMs);
      ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
      const sync = async (name: string) => {
        const node = nodes.get(name);
        const record = health.get(name);
        if (!node || !record) return;
        const update = nodeLifecycleUpdate(node, record, ctx.now().getTime(), options.gracePeriodMs);
        if (!update) return;
        let current = node;
        if (update.conditions) {
          current = await ctx.client.update<Node>(ref('nodes', undefined, name, 'status'), { ...current, status: { ...current.status, conditions: update.conditions } });
          const ready = update.conditions.find((c) => c.type === 'Ready');
          ctx.log.info(`[nodelifecycle] node ${name}: Ready=${ready?.status} (${ready?.reason ?? ''})`);
        }
        if (update.taints) {
          await ctx.client.update<Node>(ref('nodes', undefined, name), { ...current, spec: { ...current.spec, taints: update.taints } });
          ctx.log.debug(2, `[nodelifecycle] node ${name}: taints ${update.taints.map((t) => `${t.key}:${t.effect}`).join(', ') || 'none'}`);
        }
      };
      await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
    },
  };
}
