/**
 * The container runtime as the agent sees it. The agent decides WHAT runs and when to restart
 * (pod workers, probes, back-off); a PodRunner only knows HOW: it starts and stops containers,
 * reports their state, runs exec probes and remembers its pods across agent restarts. Shaped
 * like CRI (sandbox + containers + ExecSync) so a containerd client can replace the process
 * runner; nothing outside a runner may assume containers are processes.
 */
import type { Container, StaticPod } from './pod.js';
import type { Unsubscribe } from './listeners.js';

export type ContainerRuntimeState =
  | { state: 'running'; id: string; startedAt: Date; restartCount: number }
  | {
      state: 'exited';
      id: string;
      startedAt: Date;
      finishedAt: Date;
      exitCode: number;
      /** `Completed`, `Error`, or `ContainerStatusUnknown` when the exit code was not observed. */
      reason: string;
      message?: string;
      restartCount: number;
    };

/** A container the runner could not start; `reason` is a kubelet waiting reason. */
export class ContainerStartError extends Error {
  constructor(
    readonly reason:
      | 'ImageNotSupported'
      | 'InvalidImageName'
      | 'RunContainerError'
      | 'CreateContainerError'
      | 'CreateContainerConfigError'
      | 'ErrImagePull'
      | 'ErrImageNeverPull'
      /** The sandbox (network, pause container) could not be made yet. */
      | 'ContainerCreating',
    message: string,
  ) {
    super(message);
    this.name = 'ContainerStartError';
  }
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface PodRunner {
  /** Pods this runtime still holds from earlier agent runs (their containers may or may not run). */
  listPods(): Promise<StaticPod[]>;
  /** Creates the pod's sandbox: its record, log directories and hostPath directories. Idempotent. */
  startPod(pod: StaticPod): Promise<void>;
  /**
   * Takes over the containers of `pod` left running by an earlier agent with the same spec hash.
   * Containers of a different spec are stopped. Returns the adopted containers by name.
   */
  adopt(pod: StaticPod): Promise<Map<string, ContainerRuntimeState>>;
  /**
   * Starts (or restarts) one container. Throws ContainerStartError when it cannot run. `signal`
   * ends a long step (an image pull) when the pod's worker stops.
   */
  startContainer(pod: StaticPod, container: Container, restartCount: number, signal?: AbortSignal): Promise<ContainerRuntimeState>;
  /** Stops one container: a polite signal, then a forced kill after `gracePeriodMs`. */
  stopContainer(pod: StaticPod, containerName: string, gracePeriodMs: number): Promise<void>;
  /** Stops every container of the pod and forgets it. */
  stopPod(pod: StaticPod, gracePeriodMs: number): Promise<void>;
  /** The state of each container the runtime knows for this pod. */
  status(pod: StaticPod): Promise<Map<string, ContainerRuntimeState>>;
  /** Runs a command in the container's environment (exec probes). */
  exec(pod: StaticPod, containerName: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** The container's log file (real path). */
  logPath(pod: StaticPod, containerName: string): string;
  /** The pod's own IPs when it has its own network namespace; undefined: the node's address (host network). */
  podIPs?(pod: StaticPod): string[] | undefined;
  /** Called when a container exits, so the pod's worker can react without waiting for its next sync. */
  onContainerExit(listener: (podUid: string, containerName: string) => void): Unsubscribe;
  /** Forgets every container without stopping it (the agent stops, its pods keep running). */
  detach(): void;
}
