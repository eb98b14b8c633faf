import { describe, expect, it } from 'vitest';
import { KUBELET_BACKOFF, nextBackoff, type BackoffState } from './backoff.js';

describe('CrashLoopBackOff', () => {
  it('restarts at once the first time, then waits 10 s, 20 s, 40 s … capped at 5 min', () => {
    let state: BackoffState | undefined;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = nextBackoff(KUBELET_BACKOFF, state, 1000);
      delays.push(next.delayMs / 1000);
      state = next.state;
    }
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
  });

  it('starts over once the container ran for 10 minutes', () => {
    const afterLongRun = nextBackoff(KUBELET_BACKOFF, { lastDelayMs: 300_000 }, 600_000);
    expect(afterLongRun.delayMs).toBe(0);
    expect(nextBackoff(KUBELET_BACKOFF, afterLongRun.state, 5).delayMs).toBe(10_000);
  });

  it('uses a configurable base', () => {
    const policy = { ...KUBELET_BACKOFF, baseMs: 100 };
    expect(nextBackoff(policy, { lastDelayMs: 0 }, 0).delayMs).toBe(100);
    expect(nextBackoff(policy, { lastDelayMs: 100 }, 0).delayMs).toBe(200);
  });
});
