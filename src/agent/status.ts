/**
 * The v1 PodStatus the agent reports for a static pod (later posted on its mirror pod), built
 * from what the pod worker knows about each container. Pure: same input, same status.
 */
import type { RestartPolicy } from './pod.js';

export type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message?: string } }
  | { terminated: { exitCode: number; reason: string; message?: string; startedAt: string; finishedAt: string } };

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
}

export type ConditionType = 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready';

export interface PodCondition {
  type: ConditionType;
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason?: string;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface PodStatus {
  phase: PodPhase;
  conditions: PodCondition[];
  hostIP: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime: string;
  containerStatuses: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/**
 * The kubelet's phase rule (getPhase): any container waiting that never ran → Pending; any
 * running → Running; all stopped → Running while the policy restarts them, else Succeeded when
 * all succeeded, Failed otherwise.
 */
export function podPhase(statuses: ContainerStatus[], restartPolicy: RestartPolicy = 'Always'): PodPhase {
  let waiting = 0;
  let running = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if ('running' in s.state) running++;
    else if ('terminated' in s.state) {
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (!('terminated' in s.lastState)) waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (restartPolicy === 'Always') return 'Running';
  if (succeeded === statuses.length) return 'Succeeded';
  return restartPolicy === 'Never' ? 'Failed' : 'Running';
}

export interface PodStatusInput {
  containers: ContainerStatus[];
  /** Init container statuses; the pod is Initialized once all of them succeeded. */
  initContainers?: ContainerStatus[];
  /** An init container failed and will not run again (restartPolicy Never): the pod failed. */
  initFailed?: boolean;
  restartPolicy?: RestartPolicy;
  nodeAddress: string;
  /** The pod's IPs (the node's address for host-network pods; none before its sandbox exists). */
  podIPs?: string[];
  startTime: string;
  /** Previous conditions, so lastTransitionTime only moves when a status flips. */
  previous?: PodCondition[];
  now: string;
}

export function buildPodStatus(input: PodStatusInput): PodStatus {
  const allReady = input.containers.length > 0 && input.containers.every((c) => c.ready);
  const notReady = input.containers.filter((c) => !c.ready).map((c) => c.name);
  const condition = (type: ConditionType, ok: boolean, reason?: string): PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = input.previous?.find((p) => p.type === type);
    const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : input.now;
    return reason && !ok ? { type, status, lastTransitionTime, reason } : { type, status, lastTransitionTime };
  };
  const unready = notReady.length > 0 ? 'ContainersNotReady' : undefined;
  const inits = input.initContainers ?? [];
  const initialized = inits.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0);
  return {
    phase: input.initFailed ? 'Failed' : initialized ? podPhase(input.containers, input.restartPolicy) : 'Pending',
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', initialized, 'ContainersNotInitialized'),
      condition('ContainersReady', allReady, unready),
      condition('Ready', allReady, unready),
    ],
    hostIP: input.nodeAddress,
    ...podIPFields(input.podIPs ?? [input.nodeAddress]),
    startTime: input.startTime,
    containerStatuses: input.containers,
    ...(inits.length > 0 ? { initContainerStatuses: inits } : {}),
  };
}

function podIPFields(ips: string[]): Pick<PodStatus, 'podIP' | 'podIPs'> {
  return ips.length > 0 ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {};
}

export function isPodReady(status: PodStatus): boolean {
  return status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}
