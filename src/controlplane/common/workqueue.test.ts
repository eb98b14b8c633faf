import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runWorkers, WorkQueue } from './workqueue.js';

describe('work queue (fake time)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands out a key added several times only once', async () => {
    const q = new WorkQueue({ name: 't' });
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.depth()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.adds).toBe(3);
  });

  it('queues a key added while it is processed again only after done', async () => {
    const q = new WorkQueue({ name: 't' });
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.depth()).toBe(0);
    q.done(key!);
    expect(q.depth()).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('backs off a failing key exponentially from 5 ms and caps at 1000 s', () => {
    const q = new WorkQueue({ name: 't' });
    const delays: number[] = [];
    for (let i = 0; i < 30; i++) {
      delays.push(q.nextDelay('a'));
      q.addRateLimited('a');
    }
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(delays.at(-1)).toBe(1_000_000);
    expect(q.retries).toBe(30);
    q.forget('a');
    expect(q.nextDelay('a')).toBe(5);
  });

  it('delivers a rate-limited key only when its back-off has passed', async () => {
    const q = new WorkQueue({ name: 't' });
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.depth()).toBe(0);
    await vi.advanceTimersByTimeAsync(4);
    expect(q.depth()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.depth()).toBe(1);
  });

  it('keeps the earlier of two delays for the same key', async () => {
    const q = new WorkQueue({ name: 't' });
    q.addAfter('a', 1000);
    q.addAfter('a', 60_000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(q.depth()).toBe(1);
  });

  it('answers pending gets with undefined on shut down and ignores later adds', async () => {
    const q = new WorkQueue({ name: 't' });
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(q.depth()).toBe(0);
  });

  it('never hands the same key to two workers at once', async () => {
    const q = new WorkQueue({ name: 't' });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const done = runWorkers(q, 4, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      active--;
    }, () => {});
    q.add('a');
    await vi.advanceTimersByTimeAsync(1);
    q.add('a');
    q.add('a');
    await vi.advanceTimersByTimeAsync(50);
    q.shutDown();
    await done;
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it('retries a failing handler with back-off and forgets the key after it succeeds', async () => {
    const q = new WorkQueue({ name: 't' });
    const attempts: number[] = [];
    const errors: string[] = [];
    const done = runWorkers(q, 2, async (key) => {
      attempts.push(Date.now());
      if (attempts.length < 4) throw new Error(`fail ${key}`);
    }, (_key, err) => errors.push((err as Error).message));
    const start = Date.now();
    q.add('a');
    await vi.advanceTimersByTimeAsync(100);
    q.shutDown();
    await done;
    expect(attempts.map((t) => t - start)).toEqual([0, 5, 15, 35]);
    expect(errors).toHaveLength(3);
    expect(q.failureCount('a')).toBe(0);
  });
});
