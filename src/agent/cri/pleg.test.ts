import { describe, expect, it } from 'vitest';
import { containerChanges, containerRecords, Pleg, type ListedContainer } from './pleg.js';

const listed = (id: string, podUid: string, name: string, state: string): ListedContainer => ({
  id,
  state,
  metadata: { name },
  labels: { 'io.kubernetes.pod.uid': podUid, 'io.kubernetes.container.name': name },
});

describe('containerChanges', () => {
  it('reports containers that appeared, changed state or went away, and nothing else', () => {
    const before = containerRecords([listed('a', 'p1', 'web', 'CONTAINER_RUNNING'), listed('b', 'p2', 'db', 'CONTAINER_RUNNING'), listed('c', 'p3', 'job', 'CONTAINER_RUNNING')]);
    const after = containerRecords([listed('a', 'p1', 'web', 'CONTAINER_RUNNING'), listed('b', 'p2', 'db', 'CONTAINER_EXITED'), listed('d', 'p4', 'new', 'CONTAINER_CREATED')]);
    expect(containerChanges(before, after)).toEqual([
      { podUid: 'p2', name: 'db', state: 'CONTAINER_EXITED' },
      { podUid: 'p4', name: 'new', state: 'CONTAINER_CREATED' },
      { podUid: 'p3', name: 'job', state: 'CONTAINER_REMOVED' },
    ]);
  });

  it('ignores containers this agent did not make (no pod uid label)', () => {
    const records = containerRecords([{ id: 'x', state: 'CONTAINER_RUNNING', labels: {} }, listed('a', 'p1', 'web', 'CONTAINER_RUNNING')]);
    expect([...records.keys()]).toEqual(['a']);
  });
});

describe('Pleg', () => {
  it('tells listeners which pod changed, once per change, from one list of the whole node', async () => {
    const lists: ListedContainer[][] = [
      [listed('a', 'p1', 'web', 'CONTAINER_RUNNING'), listed('b', 'p2', 'db', 'CONTAINER_RUNNING')],
      [listed('a', 'p1', 'web', 'CONTAINER_RUNNING'), listed('b', 'p2', 'db', 'CONTAINER_RUNNING')],
      [listed('a', 'p1', 'web', 'CONTAINER_EXITED'), listed('b', 'p2', 'db', 'CONTAINER_RUNNING')],
    ];
    let calls = 0;
    const pleg = new Pleg({ relistMs: 60_000, list: async () => lists[calls++]! });
    const events: string[] = [];
    const unsubscribe = pleg.subscribe((pod, container) => events.push(`${pod}/${container}`));
    for (let i = 0; i < 3; i++) await pleg.relist();
    unsubscribe();
    expect(calls).toBe(3);
    expect(events).toEqual(['p1/web']);
  });

  it('reports a failed relist and carries on with the next', async () => {
    const errors: string[] = [];
    let fail = true;
    const pleg = new Pleg({
      relistMs: 60_000,
      list: async () => {
        if (fail) throw new Error('runtime down');
        return [listed('a', 'p1', 'web', 'CONTAINER_RUNNING')];
      },
      onError: (err) => errors.push(err.message),
    });
    const events: string[] = [];
    const unsubscribe = pleg.subscribe((pod) => events.push(pod));
    await pleg.relist();
    fail = false;
    await pleg.relist();
    await pleg.relist();
    unsubscribe();
    expect(errors).toEqual(['runtime down']);
    expect(events).toEqual([]);
  });

  it('relists on its own while someone listens, and stops when the last listener leaves', async () => {
    let calls = 0;
    const pleg = new Pleg({ relistMs: 5, list: async () => (calls++, []) });
    const unsubscribe = pleg.subscribe(() => {});
    while (calls < 3) await new Promise((r) => setTimeout(r, 5));
    unsubscribe();
    const after = calls;
    await new Promise((r) => setTimeout(r, 40));
    expect(calls).toBeLessThanOrEqual(after + 1);
  });
});
