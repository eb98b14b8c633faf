/**
 * A rate-limited work queue with client-go's semantics: a key is queued at most once (dirty
 * set), a key being processed is never handed to a second worker (added again, it is queued
 * after `done`), failures back off per key exponentially (5 ms doubling to 1000 s, reset by
 * `forget`), and `addAfter` delays a key (e.g. until a token expires).
 */

export interface QueueMetrics {
  readonly name: string;
  /** Keys waiting to be handed to a worker. */
  depth(): number;
  /** Every `add` (including those deduplicated away), as client-go's `workqueue_adds_total`. */
  adds: number;
  /** Keys re-queued after a failure, as `workqueue_retries_total`. */
  retries: number;
}

export interface WorkQueueOptions {
  name: string;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** client-go's DefaultControllerRateLimiter per-item bounds. */
export const DEFAULT_BASE_DELAY_MS = 5;
export const DEFAULT_MAX_DELAY_MS = 1_000_000;

export class WorkQueue implements QueueMetrics {
  readonly name: string;
  adds = 0;
  retries = 0;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  }

  depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.adds++;
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else this.queue.push(key);
  }

  /** Adds the key after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /** The back-off for the key's next failure: base × 2^failures, capped. */
  nextDelay(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    return Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
  }

  /** Re-queues a failed key after its exponential back-off. */
  addRateLimited(key: string): void {
    const delay = this.nextDelay(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.retries++;
    this.addAfter(key, delay);
  }

  /** Clears the key's failure count (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, or undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the key processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
      this.adds--;
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}

/**
 * Runs `workers` loops taking keys from the queue until it shuts down. A handler that throws
 * re-queues its key with back-off; one that resolves forgets the key's failures. `onError`
 * sees every failure (for logging).
 */
export async function runWorkers(
  queue: WorkQueue,
  workers: number,
  handler: (key: string) => Promise<void>,
  onError: (key: string, err: unknown) => void,
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await handler(key);
        queue.forget(key);
      } catch (err) {
        onError(key, err);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}
