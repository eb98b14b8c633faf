/**
 * Leader election through a coordination.k8s.io Lease, as client-go's leaderelection does:
 * a candidate takes the Lease when it is free or expired, renews it every retry period, and
 * stops leading when it cannot renew within the renew deadline. Several control-plane nodes
 * run the same controllers; only the leader's loops act. Writes use the Lease's
 * resourceVersion, so two candidates can never both win a round.
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
  get(namespace: string, name: string): Promise<Lease | undefined>;
  /** Throws a conflict when the Lease exists. */
  create(lease: Lease): Promise<Lease>;
  /** Throws a conflict when `lease.metadata.resourceVersion` is stale. */
  update(lease: Lease): Promise<Lease>;
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

/** One attempt to acquire or renew; true when this candidate holds the Lease afterwards. */
export async function tryAcquireOrRenew(store: LeaseStore, config: LeaderElectionConfig): Promise<boolean> {
  const now = (config.now ?? (() => new Date()))();
  const leaseDurationSeconds = Math.round(config.leaseDurationMs / 1000);
  const current = await store.get(config.namespace, config.name);
  if (!current) {
    try {
      await store.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: config.name, namespace: config.namespace },
        spec: { holderIdentity: config.identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
  const spec = current.spec ?? {};
  const held = spec.holderIdentity === config.identity;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
  const expired = !spec.holderIdentity || renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
  if (!held && !expired) return false;
  const next: LeaseSpec = held
    ? { ...spec, renewTime: microTime(now), leaseDurationSeconds }
    : { holderIdentity: config.identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
  try {
    await store.update({ ...current, spec: next });
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

export interface LeaderCallbacks {
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once when leadership is lost; upstream components exit here and get restarted. */
  onStoppedLeading: () => void;
}

/**
 * Campaigns until `signal` aborts: retries every retry period, leads once it holds the Lease,
 * and stops leading when renewals fail for longer than the renew deadline.
 */
export async function runLeaderElection(store: LeaseStore, config: LeaderElectionConfig, callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
  // Each sleep removes its abort listener, so a long campaign does not pile them up.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => (clearTimeout(timer), signal.removeEventListener('abort', wake), resolve());
      const timer = setTimeout(wake, ms);
      signal.addEventListener('abort', wake, { once: true });
    });
  const attempt = async () => {
    try {
      return await tryAcquireOrRenew(store, config);
    } catch {
      return false;
    }
  };
  while (!signal.aborted && !(await attempt())) await sleep(config.retryPeriodMs);
  if (signal.aborted) return;
  const leading = new AbortController();
  signal.addEventListener('abort', () => leading.abort(), { once: true });
  void callbacks.onStartedLeading(leading.signal);
  let lastRenew = Date.now();
  while (!signal.aborted) {
    await sleep(config.retryPeriodMs);
    if (signal.aborted) break;
    if (await attempt()) lastRenew = Date.now();
    else if (Date.now() - lastRenew > config.renewDeadlineMs) {
      leading.abort();
      callbacks.onStoppedLeading();
      return;
    }
  }
}

/** The Lease store backed by the API server. */
export function apiLeaseStore(client: KubeClient): LeaseStore {
  const ref = (namespace: string, name?: string): ResourceRef => ({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace, name });
  return {
    async get(namespace, name) {
      try {
        return await client.get<Lease>(ref(namespace, name));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (lease) => client.create<Lease>(ref(lease.metadata.namespace!), lease),
    update: (lease) => client.update<Lease>(ref(lease.metadata.namespace!, lease.metadata.name), lease),
  };
}
