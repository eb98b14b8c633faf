/**
 * The kubelet's CrashLoopBackOff: the first restart is immediate, then the delay starts at the
 * base (10 s), doubles up to the maximum (5 min), and resets once a container has run for
 * `resetAfterMs` (10 min) without failing. Pure: the caller keeps the state.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const KUBELET_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface BackoffState {
  /** The delay applied before the previous restart (0 before the first). */
  lastDelayMs: number;
}

/**
 * The delay before restarting a container that ran for `ranForMs`, and the new state.
 * `undefined` state means the container never failed before.
 */
export function nextBackoff(policy: BackoffPolicy, state: BackoffState | undefined, ranForMs: number): { delayMs: number; state: BackoffState } {
  if (!state || ranForMs >= policy.resetAfterMs) return { delayMs: 0, state: { lastDelayMs: 0 } };
  const delayMs = state.lastDelayMs === 0 ? policy.baseMs : Math.min(state.lastDelayMs * 2, policy.maxMs);
  return { delayMs, state: { lastDelayMs: delayMs } };
}
