/**
 * Leader election through a coordination.k8s.io Lease, as client-go's leaderelection does:
 * a candidate takes the Lease when it is free or expired, renews it every retry period, and
 * stops leading when it cannot renew within the renew deadline. Several control-plane nodes
 * run the same controllers; only the leader's loops act. Writes use the Lease's
 * resourceVersion, so two candidates can never both win a round.
 *
 * Two rules keep two candidates from ever leading at once, as client-go's do:
 * - a Lease held by another is expired only when it has not CHANGED for its duration as this
 *   candidate's own clock measured since it last saw it change, never by its renewTime: that
 *   stamp comes from another clock and is taken before a write that may take seconds to land;
 * - every renewal cycle ends at the renew deadline even when a request hangs: a leader whose
 *   API server stopped answering steps down before the Lease can expire for the others.
 */
import { isConflict, isNotFound, type KubeClient, type KubeObject, type ResourceRef } from '../../kube/index.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec: LeaseSpec;
}

/** Where Leases live: the API, or an in-memory store with the same compare-and-swap rules in tests. */
export interface LeaseStore {
  get(namespace: string, name: string, signal?: AbortSignal): Promise<Lease | undefined>;
  /** Throws a conflict when the Lease exists. */
  create(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  /** Throws a conflict when `lease.metadata.resourceVersion` is stale. */
  update(lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  now?: () => Date;
}

/** client-go's defaults, as kube-controller-manager and kube-scheduler use them. */
export const DEFAULT_LEADER_ELECTION = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The record's fields in a fixed order, so two reads of the same record compare equal. */
const recordKey = (spec: LeaseSpec) =>
  JSON.stringify([spec.holderIdentity ?? '', spec.leaseDurationSeconds ?? 0, spec.acquireTime ?? '', spec.renewTime ?? '', spec.leaseTransitions ?? 0]);

export interface LeaderCallbacks {
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once when leadership is lost; upstream components exit here and get restarted. */
  onStoppedLeading: () => void;
}

/** Resolves after `ms`, or at once when `signal` aborts; removes its listener either way. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const wake = () => (clearTimeout(timer), signal.removeEventListener('abort', wake), resolve());
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

/** One candidate: what it last saw of the Lease and when, by its own clock (client-go's LeaderElector). */
export class LeaderElector {
  private observed: { key: string; spec: LeaseSpec; at: number } | undefined;

  constructor(
    private readonly store: LeaseStore,
    private readonly config: LeaderElectionConfig,
  ) {}

  private now(): Date {
    return (this.config.now ?? (() => new Date()))();
  }

  private observe(spec: LeaseSpec): void {
    this.observed = { key: recordKey(spec), spec, at: this.now().getTime() };
  }

  /** The last record this candidate saw (or wrote) names it. */
  isLeader(): boolean {
    return this.observed?.spec.holderIdentity === this.config.identity;
  }

  /** The observed record has changed within its lease duration, by this candidate's clock. */
  private leaseValid(): boolean {
    if (!this.observed) return false;
    const durationMs = (this.observed.spec.leaseDurationSeconds ?? this.config.leaseDurationMs / 1000) * 1000;
    return this.observed.at + durationMs > this.now().getTime();
  }

  /** One attempt to acquire or renew; true when this candidate holds the Lease afterwards. */
  async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const { config, store } = this;
    const now = this.now();
    const fresh: LeaseSpec = { holderIdentity: config.identity, leaseDurationSeconds: Math.round(config.leaseDurationMs / 1000), acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
    const current = await store.get(config.namespace, config.name, signal);
    if (!current) {
      try {
        await store.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: config.name, namespace: config.namespace }, spec: fresh }, signal);
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
      this.observe(fresh);
      return true;
    }
    const spec = current.spec ?? {};
    if (recordKey(spec) !== this.observed?.key) this.observe(spec);
    if (spec.holderIdentity && this.leaseValid() && !this.isLeader()) return false;
    const next: LeaseSpec = this.isLeader()
      ? { ...fresh, acquireTime: spec.acquireTime ?? fresh.acquireTime, leaseTransitions: spec.leaseTransitions ?? 0 }
      : { ...fresh, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      await store.update({ ...current, spec: next }, signal);
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    this.observe(next);
    return true;
  }

  /**
   * An attempt that counts as failed when it errs, or when `outer` aborts or `timeoutMs` passes
   * first: its requests are cancelled then, so a hanging API server cannot hold a campaign.
   */
  private attempt(outer: AbortSignal, timeoutMs: number): Promise<boolean> {
    if (outer.aborted) return Promise.resolve(false);
    const scope = new AbortController();
    const cancel = () => scope.abort();
    outer.addEventListener('abort', cancel, { once: true });
    const timer = setTimeout(cancel, timeoutMs);
    return new Promise<boolean>((resolve) => {
      const give = (won: boolean) => {
        clearTimeout(timer);
        outer.removeEventListener('abort', cancel);
        scope.signal.removeEventListener('abort', abandon);
        resolve(won);
      };
      const abandon = () => give(false);
      scope.signal.addEventListener('abort', abandon, { once: true });
      this.tryAcquireOrRenew(scope.signal).then(give, () => give(false));
    });
  }

  /** client-go's renew cycle: retries every retry period until one renewal succeeds or the deadline passes. */
  private async renewWithinDeadline(signal: AbortSignal): Promise<boolean> {
    const cycle = new AbortController();
    const stop = () => cycle.abort();
    signal.addEventListener('abort', stop, { once: true });
    const deadline = setTimeout(stop, this.config.renewDeadlineMs);
    try {
      while (!cycle.signal.aborted) {
        if (await this.attempt(cycle.signal, this.config.renewDeadlineMs)) return true;
        await sleep(this.config.retryPeriodMs, cycle.signal);
      }
      return false;
    } finally {
      clearTimeout(deadline);
      signal.removeEventListener('abort', stop);
    }
  }

  /**
   * Campaigns until `signal` aborts: retries every retry period, leads once it holds the Lease,
   * and stops leading when a renewal cycle ends without a renewal.
   */
  async run(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !(await this.attempt(signal, this.config.renewDeadlineMs))) await sleep(this.config.retryPeriodMs, signal);
    if (signal.aborted) return;
    const leading = new AbortController();
    signal.addEventListener('abort', () => leading.abort(), { once: true });
    void callbacks.onStartedLeading(leading.signal);
    while (!signal.aborted) {
      await sleep(this.config.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (!(await this.renewWithinDeadline(signal)) && !signal.aborted) {
        leading.abort();
        callbacks.onStoppedLeading();
        return;
      }
    }
  }
}

/** Campaigns with a new LeaderElector until `signal` aborts (see LeaderElector.run). */
export function runLeaderElection(store: LeaseStore, config: LeaderElectionConfig, callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
  return new LeaderElector(store, config).run(callbacks, signal);
}

type LeaseClient = Pick<KubeClient, 'get' | 'create' | 'update'>;

/** The Lease store backed by the API server; a client that can scope requests to a signal has them cancelled with it. */
export function apiLeaseStore(client: LeaseClient & { withSignal?: (signal: AbortSignal) => LeaseClient }): LeaseStore {
  const ref = (namespace: string, name?: string): ResourceRef => ({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace, name });
  const scoped = (signal: AbortSignal | undefined): LeaseClient => (signal && client.withSignal ? client.withSignal(signal) : client);
  return {
    async get(namespace, name, signal) {
      try {
        return await scoped(signal).get<Lease>(ref(namespace, name));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (lease, signal) => scoped(signal).create<Lease>(ref(lease.metadata.namespace!), lease),
    update: (lease, signal) => scoped(signal).update<Lease>(ref(lease.metadata.namespace!, lease.metadata.name), lease),
  };
}
