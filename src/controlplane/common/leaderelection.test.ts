import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KubeApiError } from '../../kube/index.js';
import { LeaderElector, runLeaderElection, type Lease, type LeaderElectionConfig, type LeaseStore } from './leaderelection.js';

/** An in-memory Lease store with the API server's compare-and-swap on resourceVersion. */
function memoryStore(): LeaseStore & { lease?: Lease } {
  let version = 0;
  const conflict = () => new KubeApiError(409, 'Conflict', 'the object has been modified');
  const store: LeaseStore & { lease?: Lease } = {
    async get() {
      return store.lease && structuredClone(store.lease);
    },
    async create(lease) {
      if (store.lease) throw new KubeApiError(409, 'AlreadyExists', 'exists');
      store.lease = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++version) } };
      return store.lease;
    },
    async update(lease) {
      if (lease.metadata.resourceVersion !== store.lease?.metadata.resourceVersion) throw conflict();
      store.lease = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++version) } };
      return store.lease;
    },
  };
  return store;
}

const base = (identity: string, at: Date): LeaderElectionConfig => ({
  namespace: 'kube-system', name: 'kube-controller-manager', identity, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, now: () => at,
});

/** A candidate whose clock reads `clock()` ms (a shared test clock, optionally skewed). */
const candidate = (store: LeaseStore, identity: string, clock: () => number) => new LeaderElector(store, { ...base(identity, new Date(0)), now: () => new Date(clock()) });

describe('leader election', () => {
  it('creates the Lease for the first candidate and refuses a second while it is fresh', async () => {
    const store = memoryStore();
    const t0 = new Date('2026-01-01T00:00:00Z');
    expect(await new LeaderElector(store, base('a', t0)).tryAcquireOrRenew()).toBe(true);
    expect(await new LeaderElector(store, base('b', new Date(t0.getTime() + 5_000))).tryAcquireOrRenew()).toBe(false);
    expect(store.lease?.spec.holderIdentity).toBe('a');
    expect(store.lease?.spec.renewTime).toBe('2026-01-01T00:00:00.000000Z');
  });

  it("judges a held Lease expired by its own clock since it last saw the record change, never by the holder's renewTime", async () => {
    const store = memoryStore();
    let t = Date.parse('2026-01-01T00:00:00Z');
    // a's clock is a minute behind (or its renewals take that long to land): every renewTime it writes looks stale.
    const a = candidate(store, 'a', () => t - 60_000);
    const b = candidate(store, 'b', () => t);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    for (let i = 0; i < 10; i++) {
      t += 2_000;
      expect(await b.tryAcquireOrRenew()).toBe(false);
      expect(await a.tryAcquireOrRenew()).toBe(true);
    }
    // a dies: b saw its last renewal at its next look and waits a full lease duration from then.
    t += 1_000;
    expect(await b.tryAcquireOrRenew()).toBe(false);
    const lastChangeSeen = t;
    t = lastChangeSeen + 14_999;
    expect(await b.tryAcquireOrRenew()).toBe(false);
    t = lastChangeSeen + 15_000;
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(b.isLeader()).toBe(true);
    // a comes back: it sees b's record change and does not take it back while b renews.
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(a.isLeader()).toBe(false);
  });

  it('a candidate that has just started waits a full lease duration, however old the renewTime it reads', async () => {
    const store = memoryStore();
    let t = Date.parse('2026-01-01T00:00:00Z');
    await candidate(store, 'a', () => t).tryAcquireOrRenew();
    t += 60_000;
    const late = candidate(store, 'b', () => t);
    expect(await late.tryAcquireOrRenew()).toBe(false);
    t += 15_000;
    expect(await late.tryAcquireOrRenew()).toBe(true);
  });

  it('keeps acquireTime and the transition count while renewing', async () => {
    const store = memoryStore();
    let t = Date.parse('2026-01-01T00:00:00Z');
    const a = candidate(store, 'a', () => t);
    await a.tryAcquireOrRenew();
    const acquired = store.lease?.spec.acquireTime;
    t += 2_000;
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'a', acquireTime: acquired, renewTime: new Date(t).toISOString().replace('Z', '000Z'), leaseTransitions: 0 });
  });

  it('never lets two candidates win the same round (stale resourceVersion loses)', async () => {
    const store = memoryStore();
    let t = Date.parse('2026-01-01T00:00:00Z');
    await candidate(store, 'a', () => t).tryAcquireOrRenew();
    const b = candidate(store, 'b', () => t);
    const c = candidate(store, 'c', () => t);
    await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    t += 16_000;
    const results = await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('stops leading when renewals fail past the renew deadline', async () => {
    const store = memoryStore();
    let failing = false;
    const flaky: LeaseStore = { ...store, get: (ns, n) => (failing ? Promise.reject(new Error('down')) : store.get(ns, n)) };
    const events: string[] = [];
    const stop = new AbortController();
    const done = runLeaderElection(flaky, { ...base('a', new Date()), now: undefined, retryPeriodMs: 10, renewDeadlineMs: 50 }, {
      onStartedLeading: () => {
        events.push('started');
        failing = true;
      },
      onStoppedLeading: () => events.push('stopped'),
    }, stop.signal);
    await done;
    expect(events).toEqual(['started', 'stopped']);
  });

  describe('with a leader whose API server stops answering (requests hang)', () => {
    beforeEach(() => void vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') }));
    afterEach(() => void vi.useRealTimers());

    for (const cancellable of [true, false]) {
      it(`steps down within the renew deadline, before anyone else may lead (requests ${cancellable ? 'cancelled' : 'not cancellable'})`, async () => {
        const store = memoryStore();
        let hang = false;
        const hanging = <T>(signal: AbortSignal | undefined, work: () => Promise<T>) =>
          hang ? new Promise<T>((_, reject) => void (cancellable && signal?.addEventListener('abort', () => reject(new Error('aborted'))))) : work();
        const aStore: LeaseStore = {
          get: (ns, n, signal) => hanging(signal, () => store.get(ns, n)),
          create: (lease, signal) => hanging(signal, () => store.create(lease)),
          update: (lease, signal) => hanging(signal, () => store.update(lease)),
        };
        const leading = new Set<string>();
        const overlaps: string[] = [];
        const log: string[] = [];
        const callbacks = (who: string) => ({
          onStartedLeading: () => {
            if (leading.size > 0) overlaps.push(`${who} started while ${[...leading].join(',')} led`);
            leading.add(who);
            log.push(`${who} started at ${Date.now() - Date.parse('2026-01-01T00:00:00Z')}`);
          },
          onStoppedLeading: () => {
            leading.delete(who);
            log.push(`${who} stopped at ${Date.now() - Date.parse('2026-01-01T00:00:00Z')}`);
          },
        });
        const config = (identity: string): LeaderElectionConfig => ({ ...base(identity, new Date()), now: undefined });
        const stop = new AbortController();
        const a = runLeaderElection(aStore, config('a'), callbacks('a'), stop.signal);
        await vi.advanceTimersByTimeAsync(100);
        const b = runLeaderElection(store, config('b'), callbacks('b'), stop.signal);
        await vi.advanceTimersByTimeAsync(5_000);
        expect([...leading]).toEqual(['a']);
        hang = true;
        await vi.advanceTimersByTimeAsync(40_000);
        expect(overlaps).toEqual([]);
        expect(log.map((l) => l.split(' at ')[0])).toEqual(['a started', 'a stopped', 'b started']);
        stop.abort();
        await vi.advanceTimersByTimeAsync(100);
        await Promise.all([a, b]);
        const at = (what: string) => Number(log.find((l) => l.startsWith(what))!.split(' at ')[1]);
        // a's last renewal landed at most a retry period before the hang; it gives up within the deadline after that.
        expect(at('a stopped')).toBeLessThanOrEqual(5_100 + 2_000 + 10_000);
        expect(at('b started')).toBeLessThanOrEqual(5_100 + 15_000 + 2_000);
      });
    }
  });
});
