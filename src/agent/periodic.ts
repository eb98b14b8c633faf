/**
 * One background task run again and again: every `intervalMs` after a success, and with
 * exponential back-off (from `retryBaseMs` to `retryMaxMs`) after a failure, like the kubelet's
 * lease and node-status loops. A failure is logged once per distinct message (an API server that
 * is down for a minute is one warning, not sixty), and the recovery is logged too. `trigger()`
 * runs the task soon instead of waiting; runs never overlap. Each run gets an AbortSignal that
 * `stop()` aborts, so a run waiting on a slow or silent API server ends at once instead of
 * holding the agent's stop for the request timeout.
 */
import type { Logger } from '../log.js';
import type { Unsubscribe } from './listeners.js';

export interface PeriodicOptions {
  name: string;
  intervalMs: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  log: Logger;
}

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private again = false;
  private stopped = true;
  private failures = 0;
  private lastError = '';

  constructor(
    private readonly options: PeriodicOptions,
    private readonly task: (signal: AbortSignal) => Promise<void>,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs the task as soon as the current run (if any) ends. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort(new Error(`${this.options.name}: stopped`));
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    const { name, log, intervalMs } = this.options;
    const abort = (this.abort = new AbortController());
    this.running = (async () => {
      try {
        await this.task(abort.signal);
        if (this.failures > 0) log.info(`agent: ${name}: recovered after ${this.failures} failed attempt(s)`);
        this.failures = 0;
        this.lastError = '';
      } catch (err) {
        if (abort.signal.aborted) return;
        this.failures++;
        const message = err instanceof Error ? err.message : String(err);
        if (message !== this.lastError) log.warn(`agent: ${name}: ${message} (retrying)`);
        this.lastError = message;
      }
    })();
    await this.running;
    this.running = undefined;
    this.abort = undefined;
    if (this.again) {
      this.again = false;
      this.schedule(0);
    } else this.schedule(this.failures === 0 ? intervalMs : this.retryDelay());
  }

  private retryDelay(): number {
    const base = this.options.retryBaseMs ?? 200;
    const max = this.options.retryMaxMs ?? 7000;
    return Math.min(max, base * 2 ** Math.min(this.failures - 1, 20));
  }
}

/** A component that is one Periodic task: started with the agent, stopped before it. */
export abstract class PeriodicComponent {
  abstract readonly name: string;
  protected readonly loop: Periodic;
  private unsubscribe: Unsubscribe[] = [];

  constructor(options: PeriodicOptions) {
    this.loop = new Periodic(options, (signal) => this.sync(signal));
  }

  /** One round of the component's work; its API requests carry `signal` (aborted by stop). */
  protected abstract sync(signal: AbortSignal): Promise<void>;

  /** Hooks the loop to other components' events before the first round; stop() unhooks them. */
  protected wire(): Unsubscribe[] {
    return [];
  }

  async init(): Promise<void> {}

  async start(): Promise<void> {
    this.unsubscribe = this.wire();
    this.loop.start();
  }

  /** Ready at once: the API may be one of the pods this agent has yet to start. */
  async ready(): Promise<void> {}

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await this.loop.stop();
  }
}
