import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../kube/index.js';
import { runLeaderElection, tryAcquireOrRenew, type Lease, type LeaderElectionConfig, type LeaseStore } from './leaderelection.js';

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

describe('leader election', () => {
  it('creates the Lease for the first candidate and refuses a second while it is fresh', async () => {
    const store = memoryStore();
    const t0 = new Date('2026-01-01T00:00:00Z');
    expect(await tryAcquireOrRenew(store, base('a', t0))).toBe(true);
    expect(await tryAcquireOrRenew(store, base('b', new Date(t0.getTime() + 5_000)))).toBe(false);
    expect(store.lease?.spec.holderIdentity).toBe('a');
    expect(store.lease?.spec.renewTime).toBe('2026-01-01T00:00:00.000000Z');
  });

  it('lets another candidate take an expired Lease and counts the transition', async () => {
    const store = memoryStore();
    const t0 = new Date('2026-01-01T00:00:00Z');
    await tryAcquireOrRenew(store, base('a', t0));
    expect(await tryAcquireOrRenew(store, base('b', new Date(t0.getTime() + 16_000)))).toBe(true);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('never lets two candidates win the same round (stale resourceVersion loses)', async () => {
    const store = memoryStore();
    const t0 = new Date('2026-01-01T00:00:00Z');
    await tryAcquireOrRenew(store, base('a', t0));
    const later = new Date(t0.getTime() + 20_000);
    const results = await Promise.all([tryAcquireOrRenew(store, base('b', later)), tryAcquireOrRenew(store, base('c', later))]);
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
});
