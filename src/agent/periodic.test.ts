import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../log.js';
import { Periodic } from './periodic.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Periodic', () => {
  it('retries a failing task with growing delays and logs one warning per distinct error', async () => {
    const log = createMemoryLogger();
    const times: number[] = [];
    const loop = new Periodic({ name: 't', intervalMs: 10_000, retryBaseMs: 20, retryMaxMs: 80, log }, async () => {
      times.push(Date.now());
      if (times.length < 5) throw new Error('API down');
    });
    loop.start();
    await sleep(400);
    await loop.stop();
    expect(times).toHaveLength(5);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[3]).toBeGreaterThanOrEqual(70);
    expect(log.lines.filter((l) => l.includes('API down'))).toHaveLength(1);
    expect(log.lines.some((l) => l.includes('recovered after 4 failed attempt(s)'))).toBe(true);
  });

  it('never overlaps runs: a trigger during a run runs the task once more afterwards', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const loop = new Periodic({ name: 't', intervalMs: 10_000, log: createMemoryLogger() }, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await sleep(50);
      active--;
    });
    loop.start();
    await sleep(10);
    loop.trigger();
    loop.trigger();
    await sleep(200);
    await loop.stop();
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it('aborts the running round on stop, so stop does not wait for it, and counts no failure', async () => {
    const log = createMemoryLogger();
    let seen: AbortSignal | undefined;
    const loop = new Periodic({ name: 't', intervalMs: 10_000, log }, (signal) => {
      seen = signal;
      // a request to an API server that never answers: it ends only when aborted
      return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    loop.start();
    await sleep(20);
    expect(seen?.aborted).toBe(false);
    await loop.stop();
    expect(seen?.aborted).toBe(true);
    expect(log.lines.filter((l) => l.includes('retrying'))).toEqual([]);
  });
});
