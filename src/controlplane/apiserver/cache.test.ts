import { EventEmitter } from 'node:events';
import type { Watcher } from 'etcd3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PrefixCache } from './cache.js';
import type { KubeObject, ListPage, Storage } from './storage.js';

/** A watcher that records whether it was cancelled; tests emit its events. */
class FakeWatcher extends EventEmitter {
  cancelled = false;
  async cancel(): Promise<void> {
    this.cancelled = true;
  }
}

/** Storage whose list fails while `down`, and whose watches are kept for inspection. */
function fakeStorage() {
  const state = { down: false, lists: 0, watchers: [] as FakeWatcher[], items: [] as KubeObject[] };
  const storage = {
    list: async (): Promise<ListPage> => {
      state.lists++;
      if (state.down) throw new Error('etcd: connection refused');
      return { items: state.items, revision: 10, continueKey: undefined, remaining: 0 };
    },
    watch: async (): Promise<Watcher> => {
      const watcher = new FakeWatcher();
      state.watchers.push(watcher);
      return watcher as unknown as Watcher;
    },
  } as unknown as Storage;
  return { storage, state };
}

const role = (name: string): KubeObject => ({ kind: 'ClusterRole', metadata: { name } });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PrefixCache', () => {
  it('a second start() cancels the watch of the first (no leaked watchers)', async () => {
    const { storage, state } = fakeStorage();
    const cache = new PrefixCache(storage, '/registry/clusterroles/');
    await cache.start();
    await cache.start();
    expect(state.watchers.map((w) => w.cancelled)).toEqual([true, false]);
    await cache.stop();
    expect(state.watchers.every((w) => w.cancelled)).toBe(true);
  });

  it('after a watch error, relists with back-off for as long as etcd is down, then follows etcd again', async () => {
    const { storage, state } = fakeStorage();
    const errors: unknown[] = [];
    const cache = new PrefixCache(storage, '/registry/clusterroles/', (err) => errors.push(err));
    state.items = [role('a')];
    await cache.start();
    state.down = true;
    state.watchers[0]!.emit('error', new Error('required revision has been compacted'));
    // Ten failed relists in a row (0.5 s doubling to 30 s): far beyond the one retry of before.
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(state.lists).toBeGreaterThan(10);
    expect(errors).toHaveLength(state.lists); // the watch error, then each failed relist (the first list succeeded)
    expect(cache.values().map((o) => o.metadata?.name)).toEqual(['a']);
    const gaps = state.lists;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(state.lists - gaps).toBeLessThanOrEqual(1);
    state.down = false;
    state.items = [role('a'), role('b')];
    await vi.advanceTimersByTimeAsync(30_000);
    expect(cache.values().map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(state.watchers[0]!.cancelled).toBe(true);
    expect(state.watchers.filter((w) => !w.cancelled)).toHaveLength(1);
    await cache.stop();
  });

  it('stop() ends the retries', async () => {
    const { storage, state } = fakeStorage();
    const cache = new PrefixCache(storage, '/registry/roles/');
    await cache.start();
    state.down = true;
    state.watchers[0]!.emit('error', new Error('lost'));
    await cache.stop();
    const lists = state.lists;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(state.lists).toBe(lists);
  });
});
