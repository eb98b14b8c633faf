/**
 * A container's preStop hook, as the kubelet runs it before it stops a container (a deleted pod,
 * a failed liveness probe): the hook's exec command, HTTP GET or sleep, within the container's
 * grace period; SIGTERM then gets what is left of that period, but at least 2 s (the kubelet's
 * minimumGracePeriodInSeconds). A hook that fails or overruns is reported and the container is
 * stopped all the same.
 */
import type { Container } from './pod.js';
import { runProbe, type ProbeOutcome, type ProbeTarget } from './probe.js';

/** The kubelet's minimumGracePeriodInSeconds: SIGTERM always gets this long before SIGKILL. */
export const MINIMUM_GRACE_MS = 2000;

export interface PreStopResult {
  /** The grace period left for SIGTERM → SIGKILL. */
  gracePeriodMs: number;
  /** Why the hook failed, as the FailedPreStopHook event says; undefined when it succeeded (or there is none). */
  failure?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `container`'s preStop hook (if any) within `gracePeriodMs`, measured with `now` (ms). */
export async function runPreStopHook(container: Container, target: ProbeTarget, gracePeriodMs: number, now: () => number = Date.now): Promise<PreStopResult> {
  const hook = container.lifecycle?.preStop;
  if (!hook || gracePeriodMs <= 0) return { gracePeriodMs };
  const start = now();
  let failure: string | undefined;
  if (hook.sleep) await sleep(Math.min(hook.sleep.seconds * 1000, gracePeriodMs));
  else if (hook.exec || hook.httpGet) {
    // The hook gets the whole grace period as its timeout, as the kubelet's executePreStopHook.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ProbeOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ success: false, message: `the hook did not finish within the grace period of ${gracePeriodMs / 1000}s` }), gracePeriodMs);
    });
    const outcome = await Promise.race([runProbe({ exec: hook.exec, httpGet: hook.httpGet, timeoutSeconds: gracePeriodMs / 1000 }, target), timedOut]);
    clearTimeout(timer);
    if (!outcome.success) failure = `PreStopHook failed: ${outcome.message}`;
  } else failure = 'PreStopHook failed: the hook has no exec, httpGet or sleep action';
  return { gracePeriodMs: Math.max(gracePeriodMs - (now() - start), MINIMUM_GRACE_MS), ...(failure ? { failure } : {}) };
}
