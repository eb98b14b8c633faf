import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { createMemoryLogger } from '../../log.js';
import { Informer } from './informer.js';
import { ref } from './resources.js';
import { eventually, FakeApi } from '../../../test/helpers/fake-api.js';

const secret = (name: string, data: Record<string, string> = {}, namespace = 'kube-system'): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data });

describe('informer (against the in-memory FakeApi)', () => {
  const stops: AbortController[] = [];
  afterEach(() => {
    for (const s of stops.splice(0)) s.abort();
  });

  function start(api: FakeApi, options: { filter?: (o: KubeObject) => boolean; namespace?: string } = {}) {
    const informer = new Informer<KubeObject>({ client: api, ref: ref('secrets', options.namespace), log: createMemoryLogger(), filter: options.filter, backoffInitialMs: 5, backoffMaxMs: 20 });
    const events: string[] = [];
    informer.on({
      add: (o) => events.push(`add ${o.metadata.name}`),
      update: (old, o) => events.push(`update ${o.metadata.name} ${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
      delete: (o) => events.push(`delete ${o.metadata.name}`),
    });
    const stop = new AbortController();
    stops.push(stop);
    const done = informer.run(stop.signal);
    return { informer, events, stop, done };
  }

  it('fills its cache from the list and marks itself synced', async () => {
    const api = new FakeApi();
    api.put(ref('secrets'), secret('a'));
    api.put(ref('secrets'), secret('b', {}, 'default'));
    const { informer, events } = start(api);
    await informer.synced();
    expect(informer.list().map((o) => o.metadata.name).sort()).toEqual(['a', 'b']);
    expect(informer.get('kube-system/a')?.metadata.name).toBe('a');
    expect(events.sort()).toEqual(['add a', 'add b']);
  });

  it('watches from the list resourceVersion and reports adds, updates and deletes', async () => {
    const api = new FakeApi();
    api.put(ref('secrets'), secret('a'));
    const { informer, events } = start(api);
    await informer.synced();
    await eventually(() => api.openWatches() === 1);
    api.put(ref('secrets'), secret('b'));
    api.put(ref('secrets'), secret('a', { k: 'v' }));
    api.remove(ref('secrets'), 'kube-system', 'b');
    await eventually(() => events.length === 4);
    expect(events).toEqual(['add a', 'add b', 'update a 1->3', 'delete b']);
    expect(informer.get('kube-system/a')?.data).toEqual({ k: 'v' });
    expect(informer.get('kube-system/b')).toBeUndefined();
  });

  it('keeps only objects passing its filter, and drops one that stops passing', async () => {
    const api = new FakeApi();
    const { informer, events } = start(api, { filter: (o) => (o as { data?: { keep?: string } }).data?.keep === 'yes' });
    await informer.synced();
    await eventually(() => api.openWatches() === 1);
    api.put(ref('secrets'), secret('a', { keep: 'yes' }));
    api.put(ref('secrets'), secret('b', { keep: 'no' }));
    api.put(ref('secrets'), secret('a', { keep: 'no' }));
    await eventually(() => events.length === 2);
    expect(events).toEqual(['add a', 'delete a']);
    expect(informer.list()).toEqual([]);
  });

  it('re-lists after 410 Gone and reports what changed while it was away', async () => {
    const api = new FakeApi();
    api.put(ref('secrets'), secret('a'));
    api.put(ref('secrets'), secret('b'));
    const { informer, events } = start(api);
    await informer.synced();
    await eventually(() => api.openWatches() === 1);
    // The watch breaks; meanwhile objects change and the history is compacted away.
    api.breakWatches();
    api.remove(ref('secrets'), 'kube-system', 'a');
    api.put(ref('secrets'), secret('b', { new: 'yes' }));
    api.put(ref('secrets'), secret('c'));
    api.compact();
    await eventually(() => events.length >= 5, 5000, 'the re-list');
    expect(events.slice(2).sort()).toEqual(['add c', 'delete a', 'update b 2->4'].sort());
    expect(informer.list().map((o) => o.metadata.name).sort()).toEqual(['b', 'c']);
    expect(informer.lists).toBeGreaterThanOrEqual(2);
  });

  it('re-lists immediately when the watch itself answers 410 Gone', async () => {
    const api = new FakeApi();
    const { informer } = start(api);
    await informer.synced();
    await eventually(() => api.openWatches() === 1);
    api.endWatches();
    api.put(ref('secrets'), secret('x'));
    api.put(ref('secrets'), secret('y'));
    api.compact();
    await eventually(() => informer.lists >= 2 && api.openWatches() === 1, 5000, 'the re-list after 410');
    expect(informer.get('kube-system/x')).toBeDefined();
  });

  it('reopens a cleanly ended watch from the last resourceVersion without re-listing', async () => {
    const api = new FakeApi();
    const { informer, events } = start(api);
    await informer.synced();
    await eventually(() => api.openWatches() === 1);
    api.put(ref('secrets'), secret('a'));
    await eventually(() => events.length === 1);
    api.endWatches();
    api.put(ref('secrets'), secret('b'));
    await eventually(() => events.length === 2);
    expect(events).toEqual(['add a', 'add b']);
    expect(informer.lists).toBe(1);
  });

  it('backs off and re-lists while the API keeps failing, then recovers', async () => {
    const api = new FakeApi();
    let failures = 3;
    const realList = api.list.bind(api);
    api.list = (async (r) => {
      if (failures-- > 0) throw new Error('connection refused');
      return realList(r);
    }) as FakeApi['list'];
    api.put(ref('secrets'), secret('a'));
    const { informer } = start(api);
    await informer.synced();
    expect(informer.get('kube-system/a')).toBeDefined();
    expect(failures).toBe(-1);
  });

  it('gives listed items the list\'s apiVersion and kind', async () => {
    const api = new FakeApi();
    api.put(ref('secrets'), { metadata: { name: 'bare', namespace: 'kube-system' } });
    const realList = api.list.bind(api);
    api.list = (async (r) => ({ ...(await realList(r)), apiVersion: 'v1', kind: 'SecretList' })) as FakeApi['list'];
    const { informer } = start(api);
    await informer.synced();
    expect(informer.get('kube-system/bare')).toMatchObject({ apiVersion: 'v1', kind: 'Secret' });
  });

  it('replays the cache as adds to handlers registered after the sync', async () => {
    const api = new FakeApi();
    api.put(ref('secrets'), secret('a'));
    const { informer } = start(api);
    await informer.synced();
    const late: string[] = [];
    informer.on({ add: (o) => late.push(o.metadata.name!) });
    expect(late).toEqual(['a']);
  });

  it('stops when its signal aborts and closes its watch', async () => {
    const api = new FakeApi();
    const { informer, stop, done } = start(api);
    await informer.synced();
    await eventually(() => api.openWatches() === 1);
    stop.abort();
    await done;
    expect(api.openWatches()).toBe(0);
  });
});
