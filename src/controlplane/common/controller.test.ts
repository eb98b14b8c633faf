import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runQueue } from './controller.js';
import { FakeApi, fakeContext } from '../../../test/helpers/fake-api.js';
import { WorkQueue } from './workqueue.js';

describe('runQueue logging (fake time)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('warns on the 1st, 2nd, 4th and 8th consecutive failure of a key and logs the rest at -v=2', async () => {
    const ctx = fakeContext(new FakeApi());
    const queue = new WorkQueue({ name: 'test' });
    let attempts = 0;
    const done = runQueue(ctx, queue, 1, async () => {
      attempts++;
      throw new Error('403 Forbidden');
    });
    queue.add('kube-public/cluster-info');
    await vi.advanceTimersByTimeAsync(5 * (2 ** 8 - 1));
    queue.shutDown();
    await done;
    expect(attempts).toBe(9);
    const warnings = ctx.lines.filter((l) => l.startsWith('[WARNING]')).map((l) => /attempt (\d+)/.exec(l)?.[1]);
    expect(warnings).toEqual(['1', '2', '4', '8']);
    expect(ctx.lines.filter((l) => !l.startsWith('[WARNING]'))).toHaveLength(5);
  });
});
