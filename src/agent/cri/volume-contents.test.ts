import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../host/index.js';
import { createMemoryLogger } from '../../log.js';
import type { Pod } from '../pod.js';
import { tokenRefreshAt } from './pod-resources.js';
import { VolumeContents } from './volume-contents.js';

const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [] } };

afterEach(() => {
  vi.useRealTimers();
});

/** VolumeContents on fake timers starting at 0, with its log. */
function onFakeTimers(prepare: (pod: Pod) => Promise<number | undefined>) {
  vi.useFakeTimers({ now: 0 });
  const log = createMemoryLogger();
  return { volumes: new VolumeContents({ prepare, clock: { now: () => new Date(Date.now()) }, log }), log };
}

describe('tokenRefreshAt', () => {
  it('replaces a token at 80% of its lifetime, as the kubelet', () => {
    expect(tokenRefreshAt(0, 3600_000)).toBe(2880_000);
    expect(tokenRefreshAt(1000, 1000 + 600_000)).toBe(1000 + 480_000);
  });

  it('replaces a token 24 h old at the latest, however long it lives', () => {
    expect(tokenRefreshAt(0, 365 * 24 * 3600_000)).toBe(24 * 3600_000);
  });
});

describe('VolumeContents', () => {
  it('writes a pod once however many containers ask, and again after a failure', async () => {
    let calls = 0;
    const volumes = new VolumeContents({ prepare: async () => (calls++ === 0 ? Promise.reject(new Error('configmap "x" not found')) : undefined), clock: systemClock, log: createMemoryLogger() });
    await expect(volumes.ensure(pod)).rejects.toThrow(/not found/);
    await Promise.all([volumes.ensure(pod), volumes.ensure(pod)]);
    await volumes.ensure(pod);
    expect(calls).toBe(2);
  });

  it("writes the volumes again when the token's refresh time comes, and again after that", async () => {
    const writes: number[] = [];
    const { volumes } = onFakeTimers(async () => (writes.push(Date.now()), tokenRefreshAt(Date.now(), Date.now() + 600_000)));
    await volumes.ensure(pod);
    await vi.advanceTimersByTimeAsync(479_000);
    expect(writes).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([0, 480_000]);
    await vi.advanceTimersByTimeAsync(480_000);
    expect(writes).toEqual([0, 480_000, 960_000]);
    volumes.clear();
  });

  it('keeps the old contents when a refresh fails and tries again 10 s later', async () => {
    let fail = false;
    const writes: number[] = [];
    const { volumes, log } = onFakeTimers(async () => {
      writes.push(Date.now());
      if (fail) throw new Error('the API server is not reachable yet');
      return Date.now() + 1000;
    });
    await volumes.ensure(pod);
    fail = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(log.lines.some((l) => l.includes('refreshing the volumes of default/web: the API server is not reachable yet'))).toBe(true);
    await volumes.ensure(pod); // a container start meanwhile uses the old contents
    fail = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(writes).toEqual([0, 1000, 11_000]);
    volumes.clear();
  });

  it('stops refreshing a pod it forgot', async () => {
    let calls = 0;
    const { volumes } = onFakeTimers(async () => (calls++, Date.now() + 1000));
    await volumes.ensure(pod);
    volumes.forget(pod.metadata.uid);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(1);
  });
});
