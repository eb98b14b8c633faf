/**
 * kubeadm's PollUntilContextTimeout for discovery: retry what may still come right, say every 10 s
 * what it waits for. Retries come after 200, 400, 800 ms, then every second: a join started just
 * after init finds its token signed (by the bootstrapsigner) a few hundred milliseconds later.
 */
import { formatGoDurationNs } from '../config/index.js';
import { formatDuration, type Logger } from '../log.js';
import { DiscoveryError, isRetryable } from './errors.js';

export interface PollOptions {
  log: Logger;
  /** Absolute deadline (ms since the epoch) shared by every read of one discovery. */
  deadline: number;
  timeoutMs: number;
  /** A fixed interval between attempts instead of the back-off. */
  retryIntervalMs?: number;
  progressIntervalMs?: number;
}

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function pollUntilDeadline<T>(what: string, attempt: () => Promise<T>, options: PollOptions): Promise<T> {
  const started = Date.now();
  let lastReport = started;
  for (let tries = 0; ; tries++) {
    let last: DiscoveryError;
    try {
      return await attempt();
    } catch (err) {
      if (!isRetryable(err)) throw err;
      last = err;
    }
    const now = Date.now();
    if (now >= options.deadline) {
      throw new DiscoveryError(last.code as ConstructorParameters<typeof DiscoveryError>[0], `${last.message} (still so after waiting ${formatGoDurationNs(BigInt(Math.round(options.timeoutMs)) * 1_000_000n)} for ${what}; see --discovery-timeout)`, {
        cause: last,
        details: last.details,
      });
    }
    if (now - lastReport >= (options.progressIntervalMs ?? 10_000)) {
      lastReport = now;
      options.log.info(`[discovery] Still waiting for ${what} (${formatDuration(now - started)} so far, ${formatDuration(options.deadline - now)} left): ${last.message}`);
    } else {
      options.log.debug(1, `[discovery] ${last.message}; will try again`);
    }
    const interval = options.retryIntervalMs ?? Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** tries);
    await sleep(Math.max(0, Math.min(interval, options.deadline - now)));
  }
}
