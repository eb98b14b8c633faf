/**
 * The one rule that picks a pod's runner. Static pods (manifests in staticPodPath: the control
 * plane, whose images kubeforge bundles or maps to installed binaries) run as processes, so a
 * control plane starts with no container runtime at all; every pod from the API server runs
 * through the container runtime (CRI).
 */
import type { PodRunner } from './runner.js';
import type { StaticPod } from './pod.js';

export type RunnerKind = 'process' | 'cri';

/** Pods from the API server carry this source; static pods carry their manifest's path. */
export const API_SOURCE_PREFIX = 'api:';

export function runnerKind(pod: StaticPod): RunnerKind {
  return pod.source.startsWith(API_SOURCE_PREFIX) ? 'cri' : 'process';
}

export function chooseRunner(pod: StaticPod, runners: Record<RunnerKind, PodRunner>): PodRunner {
  return runners[runnerKind(pod)];
}
