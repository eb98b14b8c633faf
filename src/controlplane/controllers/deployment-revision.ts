/**
 * Deployment revisions, as upstream's deployment util: each ReplicaSet carries
 * `deployment.kubernetes.io/revision` (the new one always the highest; an old one that becomes
 * new again — `kubectl rollout undo` — gets the next number and keeps its former numbers in
 * `revision-history`), the Deployment's own annotations (`kubernetes.io/change-cause`, which
 * `kubectl rollout history` prints), and `desired-replicas`/`max-replicas`. The Deployment
 * carries the revision of its new ReplicaSet, which `kubectl rollout undo` patches back.
 */
import type { ReplicaSet } from './workloads.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** upstream's --deployment-controller max revision history length in characters. */
const MAX_REVISION_HISTORY_CHARS = 2000;

/** Annotations a ReplicaSet does not take over from its Deployment (upstream's annotationsToSkip). */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

export const revisionOf = (object: { metadata: { annotations?: Record<string, string> } }): number => {
  const value = Number(object.metadata.annotations?.[REVISION_ANNOTATION] ?? 0);
  return Number.isFinite(value) ? value : 0;
};

/** The replica annotations every ReplicaSet the controller scales carries. */
export const replicasAnnotations = (desired: number, maxSurge: number): Record<string, string> => ({
  [DESIRED_REPLICAS_ANNOTATION]: String(desired),
  [MAX_REPLICAS_ANNOTATION]: String(desired + maxSurge),
});

/** A former revision appended to revision-history, dropping the oldest beyond the length limit. */
function appendHistory(history: string | undefined, revision: string): string | undefined {
  const old = history ? history.split(',') : [];
  let start = 0;
  let total = (history?.length ?? 0) + revision.length + 1;
  while (old.length && total > MAX_REVISION_HISTORY_CHARS && start < old.length) total -= old[start++]!.length + 1;
  if (total > MAX_REVISION_HISTORY_CHARS) return history;
  return [...old.slice(start), revision].join(',');
}

/**
 * The new ReplicaSet's annotations for a Deployment whose old ReplicaSets reach `maxOldRevision`
 * (upstream's SetNewReplicaSetAnnotations): the Deployment's annotations copied over, the
 * revision raised to maxOldRevision + 1 when it is lower, the former revision kept in history.
 */
export function newReplicaSetAnnotations(deploymentAnnotations: Record<string, string> | undefined, current: Record<string, string> | undefined, maxOldRevision: number): Record<string, string> {
  const next = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(deploymentAnnotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) next[k] = v;
  const newRevision = maxOldRevision + 1;
  const oldRevision = current?.[REVISION_ANNOTATION];
  if (Number(oldRevision ?? 0) < newRevision) {
    next[REVISION_ANNOTATION] = String(newRevision);
    if (oldRevision !== undefined) {
      const history = appendHistory(current?.[REVISION_HISTORY_ANNOTATION], oldRevision);
      if (history !== undefined) next[REVISION_HISTORY_ANNOTATION] = history;
    }
  }
  return next;
}

export const maxRevision = (sets: ReplicaSet[]): number => Math.max(0, ...sets.map(revisionOf));
