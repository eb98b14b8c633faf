/**
 * Probe workers: one per container and probe kind, like the kubelet's prober. A worker waits
 * initialDelaySeconds after the container started, then probes every periodSeconds; the result
 * flips only after successThreshold consecutive successes or failureThreshold consecutive failures.
 * Initial results follow the kubelet: readiness false, liveness true, startup unknown.
 */
import type { Probe } from './pod.js';
import { runProbe, type ProbeOutcome, type ProbeTarget } from './probe.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeCounter {
  /** undefined while unknown (startup before its first verdict). */
  result: boolean | undefined;
  successes: number;
  failures: number;
}

export function initialCounter(kind: ProbeKind): ProbeCounter {
  return { result: kind === 'liveness' ? true : kind === 'readiness' ? false : undefined, successes: 0, failures: 0 };
}

/** The counter after one outcome (pure). Liveness and startup always use a success threshold of 1, as the API requires. */
export function countOutcome(kind: ProbeKind, probe: Probe, counter: ProbeCounter, success: boolean): ProbeCounter {
  const successThreshold = kind === 'readiness' ? (probe.successThreshold ?? 1) : 1;
  const failureThreshold = probe.failureThreshold ?? 3;
  const successes = success ? counter.successes + 1 : 0;
  const failures = success ? 0 : counter.failures + 1;
  let result = counter.result;
  if (success && successes >= successThreshold) result = true;
  if (!success && failures >= failureThreshold) result = false;
  return { result, successes, failures };
}

export class ProbeWorker {
  private counter: ProbeCounter;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    private readonly onChange: (kind: ProbeKind, result: boolean, outcome: ProbeOutcome) => void,
  ) {
    this.counter = initialCounter(kind);
  }

  get result(): boolean | undefined {
    return this.counter.result;
  }

  /** Starts probing; `sinceStartMs` is how long the container has already been running (adopted containers). */
  start(sinceStartMs = 0): void {
    const delay = Math.max(0, (this.probe.initialDelaySeconds ?? 0) * 1000 - sinceStartMs);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const outcome = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    const before = this.counter.result;
    this.counter = countOutcome(this.kind, this.probe, this.counter, outcome.success);
    if (this.counter.result !== undefined && this.counter.result !== before) this.onChange(this.kind, this.counter.result, outcome);
    // A startup probe stops once it succeeded; the others run as long as the container.
    if (this.kind === 'startup' && this.counter.result === true) return;
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), (this.probe.periodSeconds ?? 10) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
