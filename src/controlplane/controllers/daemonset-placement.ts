/**
 * Where a DaemonSet's pods belong, as upstream's daemon controller decides it: the tolerations
 * every daemon pod gets (not-ready/unreachable NoExecute, the pressure and unschedulable
 * NoSchedule taints, network-unavailable for hostNetwork pods), whether a node should run (and
 * may keep running) the pod, and the node affinity that pins a new pod to its node through the
 * scheduler (matchFields metadata.name, upstream's ReplaceDaemonSetPodNodeNameNodeAffinity).
 */
import { matchesNodeAffinity, tolerates, type NodeTaint, type SchedulerNode, type Toleration } from '../scheduler/schedule.js';
import type { PodTemplate, WorkloadPod } from './workloads.js';

const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });

/** upstream's AddOrUpdateDaemonPodTolerations. */
export function daemonPodTolerations(spec: Record<string, unknown>): Toleration[] {
  const own = (spec.tolerations as Toleration[] | undefined) ?? [];
  const added = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
    ...(spec.hostNetwork ? [exists('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
  return [...own, ...added.filter((t) => !own.some((o) => o.key === t.key && o.effect === t.effect && o.operator === t.operator))];
}

export interface Placement {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** upstream's NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(template: PodTemplate, node: SchedulerNode): Placement {
  const spec = template.spec as Record<string, unknown> & { nodeName?: string };
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesNodeAffinity({ spec: spec as never }, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonPodTolerations(spec);
  const untolerated = (effects: string[]) => (node.spec?.taints ?? []).some((taint: NodeTaint) => effects.includes(taint.effect) && !tolerations.some((t) => tolerates(t, taint)));
  if (untolerated(['NoSchedule', 'NoExecute'])) return { shouldRun: false, shouldContinueRunning: !untolerated(['NoExecute']) };
  return { shouldRun: true, shouldContinueRunning: true };
}

type Affinity = { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown[] } } & Record<string, unknown> } & Record<string, unknown>;

/** The template's affinity with its required node terms replaced by "this node". */
export function pinnedToNode(affinity: Affinity | undefined, node: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] };
  return { ...affinity, nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/** The node a daemon pod is for: where it is bound, else the node its affinity pins it to. */
export function targetNode(pod: WorkloadPod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const terms = (pod.spec.affinity as Affinity | undefined)?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as Array<{ matchFields?: Array<{ key: string; operator: string; values?: string[] }> }> | undefined;
  const field = terms?.[0]?.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1);
  return field?.values?.[0];
}
