/** kubeadm's PollUntilContextTimeout for discovery: retry what may still come right, say every 10 s what it waits for. */
import { formatGoDurationNs } from '../config/index.js';
import { formatDuration, type Logger } from '../log.js';
import { DiscoveryError, isRetryable } from './errors.js';

export interface PollOptions {
  log: Logger;
  /** Absolute deadline (ms since the epoch) shared by every read of one discovery. */
  deadline: number;
  timeoutMs: number;
  retryIntervalMs?: number;
  progressIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function pollUntilDeadline<T>(what: string, attempt: () => Promise<T>, options: PollOptions): Promise<T> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
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
    await sleep(Math.max(0, Math.min(options.retryIntervalMs ?? 1000, options.deadline - now)));
  }
}
