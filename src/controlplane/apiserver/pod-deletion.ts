/**
 * Graceful pod deletion (pkg/registry/core/pod/strategy.go CheckGracefulDelete): deleting a pod
 * that runs on a node only marks it (deletionTimestamp + deletionGracePeriodSeconds); the node's
 * kubelet stops its containers within the grace period and then deletes it for good with a
 * grace period of 0. Unscheduled and finished pods go at once. Mirror pods are the agent's own
 * records of static pods and go at once too. Pure.
 */
type Pod = { metadata?: { annotations?: Record<string, string> }; spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** The grace period in seconds for deleting this pod now (0: delete at once). */
export function podDeletionGrace(pod: Pod, requested: number | undefined): number {
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return 0;
  const period = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  // Upstream turns a negative request into 1 s; 0 means now.
  return period < 0 ? 1 : period;
}
