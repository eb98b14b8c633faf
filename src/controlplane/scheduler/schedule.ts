/**
 * The scheduling decision as a pure function, with the default scheduler's filters (in its
 * order, first failure per node) and message: NodeUnschedulable, TaintToleration (NoSchedule
 * and NoExecute), NodeAffinity (nodeSelector and required node affinity), node readiness,
 * NodeResourcesFit (cpu, memory, pod
 * count against allocatable minus the requests of pods already bound); then
 * NodeResourcesLeastAllocated scoring, ties broken by node name.
 */
import type { KubeObject } from '../../kube/index.js';
import { milliCPU, wholeUnits } from '../../kube/quantity.js';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

export interface NodeTaint {
  key: string;
  value?: string;
  effect: string;
}

interface Resources {
  requests?: Record<string, string>;
}

interface Container {
  name: string;
  resources?: Resources;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/** matchFields supports metadata.name only, as upstream (the DaemonSet controller pins pods with it). */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface Pod extends KubeObject {
  spec: {
    nodeName?: string;
    schedulerName?: string;
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
    containers: Container[];
    initContainers?: Container[];
    overhead?: Record<string, string>;
    affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] } } };
  };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string | null }> };
}

export interface SchedulerNode extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: NodeTaint[] };
  status?: { allocatable?: Record<string, string>; capacity?: Record<string, string>; conditions?: Array<{ type: string; status: string }> };
}

export type ScheduleResult = { node: string } | { node?: undefined; message: string };

// Requests assumed for scoring when a container states none (upstream's non-zero defaults).
const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

export interface PodRequest {
  milliCPU: number;
  memory: number;
}

/** The pod's requests: the sum over containers, at least the largest init container, plus overhead. */
export function podRequests(pod: Pod, nonZero = false): PodRequest {
  const of = (c: Container) => {
    const cpu = c.resources?.requests?.cpu;
    const memory = c.resources?.requests?.memory;
    return { milliCPU: cpu === undefined && nonZero ? DEFAULT_MILLI_CPU : milliCPU(cpu), memory: memory === undefined && nonZero ? DEFAULT_MEMORY : wholeUnits(memory) };
  };
  const sum = pod.spec.containers.map(of).reduce((a, b) => ({ milliCPU: a.milliCPU + b.milliCPU, memory: a.memory + b.memory }), { milliCPU: 0, memory: 0 });
  for (const init of (pod.spec.initContainers ?? []).map(of)) {
    sum.milliCPU = Math.max(sum.milliCPU, init.milliCPU);
    sum.memory = Math.max(sum.memory, init.memory);
  }
  sum.milliCPU += milliCPU(pod.spec.overhead?.cpu);
  sum.memory += wholeUnits(pod.spec.overhead?.memory);
  return sum;
}

/** Whether a toleration tolerates a taint (core/v1 helper semantics). */
export function tolerates(toleration: Toleration, taint: NodeTaint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  if (!toleration.key) return false;
  return (toleration.value ?? '') === (taint.value ?? '');
}

function matchesRequirement(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  const value = labels[r.key];
  switch (r.operator) {
    case 'In': return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn': return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && Number(value) > Number(r.values?.[0]);
    case 'Lt': return value !== undefined && Number(value) < Number(r.values?.[0]);
    default: return false;
  }
}

/** nodeSelector and required node affinity (shared with the DaemonSet controller, as upstream's component-helpers). */
export function matchesNodeAffinity(pod: Pick<Pod, 'spec'>, node: SchedulerNode): boolean {
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(pod.spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  const fields = { 'metadata.name': node.metadata.name ?? '' };
  return terms.some((t) => {
    const expressions = t.matchExpressions ?? [];
    const fieldTerms = t.matchFields ?? [];
    return expressions.length + fieldTerms.length > 0 && expressions.every((r) => matchesRequirement(labels, r)) && fieldTerms.every((r) => matchesRequirement(fields, r));
  });
}

const isReady = (node: SchedulerNode) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const allocatable = (node: SchedulerNode, resource: string) => node.status?.allocatable?.[resource] ?? node.status?.capacity?.[resource];

interface NodeUsage extends PodRequest {
  pods: number;
  /** Requests with upstream's non-zero defaults, for scoring. */
  nonZero: PodRequest;
}

// Bound pods are the informer's objects, unchanged until replaced: parse their requests once.
const requestCache = new WeakMap<Pod, { r: PodRequest; nz: PodRequest }>();
function cachedRequests(pod: Pod): { r: PodRequest; nz: PodRequest } {
  let cached = requestCache.get(pod);
  if (!cached) requestCache.set(pod, (cached = { r: podRequests(pod), nz: podRequests(pod, true) }));
  return cached;
}

function usageOf(pods: Pod[]): NodeUsage {
  const usage: NodeUsage = { milliCPU: 0, memory: 0, pods: 0, nonZero: { milliCPU: 0, memory: 0 } };
  for (const p of pods) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const { r, nz } = cachedRequests(p);
    usage.milliCPU += r.milliCPU;
    usage.memory += r.memory;
    usage.nonZero.milliCPU += nz.milliCPU;
    usage.nonZero.memory += nz.memory;
    usage.pods++;
  }
  return usage;
}

/** Why the node cannot take the pod (upstream's reason strings); empty when it fits. */
export function filterNode(pod: Pod, node: SchedulerNode, usage: NodeUsage): string[] {
  const tolerations = pod.spec.tolerations ?? [];
  if (node.spec?.unschedulable && !tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) return ['node(s) were unschedulable'];
  const untolerated = (node.spec?.taints ?? []).find((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerations.some((t) => tolerates(t, taint)));
  if (untolerated) return [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`];
  if (!matchesNodeAffinity(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
  // Upstream relies on the not-ready/unreachable taints alone; a node not (yet) tainted but not
  // Ready is refused here too.
  if (!isReady(node)) return ['node(s) were not ready'];
  const request = podRequests(pod);
  const reasons: string[] = [];
  const maxPods = allocatable(node, 'pods');
  if (maxPods !== undefined && usage.pods + 1 > wholeUnits(maxPods)) reasons.push('Too many pods');
  const cpu = allocatable(node, 'cpu');
  if (request.milliCPU > 0 && cpu !== undefined && request.milliCPU > milliCPU(cpu) - usage.milliCPU) reasons.push('Insufficient cpu');
  const memory = allocatable(node, 'memory');
  if (request.memory > 0 && memory !== undefined && request.memory > wholeUnits(memory) - usage.memory) reasons.push('Insufficient memory');
  return reasons;
}

/** NodeResourcesLeastAllocated: the mean free share of cpu and memory after placing the pod, 0–100. */
export function leastAllocatedScore(pod: Pod, node: SchedulerNode, usage: NodeUsage): number {
  const request = podRequests(pod, true);
  const score = (capacity: number, used: number) => (capacity <= 0 || used > capacity ? 0 : Math.floor(((capacity - used) * 100) / capacity));
  const cpu = score(milliCPU(allocatable(node, 'cpu') ?? '0'), usage.nonZero.milliCPU + request.milliCPU);
  const memory = score(wholeUnits(allocatable(node, 'memory') ?? '0'), usage.nonZero.memory + request.memory);
  return Math.floor((cpu + memory) / 2);
}

/** Upstream's FitError text: `0/N nodes are available: <count> <reason>, ...` sorted. */
export function unschedulableMessage(total: number, reasons: Map<string, number>): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

/** Picks the node for a pending pod, or says why none fits. */
export function schedule(pod: Pod, nodes: SchedulerNode[], podsOnNodes: Pod[]): ScheduleResult {
  const byNode = new Map<string, Pod[]>();
  for (const p of podsOnNodes) {
    if (!p.spec.nodeName) continue;
    const list = byNode.get(p.spec.nodeName);
    if (list) list.push(p);
    else byNode.set(p.spec.nodeName, [p]);
  }
  const reasons = new Map<string, number>();
  let best: { name: string; score: number } | undefined;
  for (const node of nodes) {
    const name = node.metadata.name!;
    const usage = usageOf(byNode.get(name) ?? []);
    const failed = filterNode(pod, node, usage);
    if (failed.length) {
      for (const r of failed) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      continue;
    }
    const score = leastAllocatedScore(pod, node, usage);
    if (!best || score > best.score || (score === best.score && name < best.name)) best = { name, score };
  }
  return best ? { node: best.name } : { message: unschedulableMessage(nodes.length, reasons) };
}

/** Pods this scheduler must place: unbound, not being deleted, not finished, for default-scheduler. */
export const needsScheduling = (pod: Pod) =>
  !pod.spec.nodeName && !pod.metadata.deletionTimestamp && (pod.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
