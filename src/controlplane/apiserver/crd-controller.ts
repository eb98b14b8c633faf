/**
 * The API server's CustomResourceDefinition controllers (upstream's naming, establishing and
 * finalizer controllers in one loop): it follows the CRDs in etcd, accepts a CRD's names unless
 * an older CRD of the group holds them (NamesAccepted), serves its kinds and marks it
 * Established, and when a CRD is deleted removes its custom resources, then its finalizer.
 * Every API server runs one, so each serves what etcd holds within moments of the write.
 */
import { PrefixCache } from './cache.js';
import { CLEANUP_FINALIZER, customTypes } from './crd.js';
import { nowTimestamp, type ObjectStore } from './objects.js';
import { findResource, serveCustomTypes, type ResourceType } from './resources.js';
import { ApiError } from './status.js';
import type { KubeObject } from './storage.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const CRD_TYPE = findResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions') as ResourceType;
/** How soon a CRD whose custom resources still have finalizers is looked at again. */
const CLEANUP_RETRY_MS = 1000;

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** The names a CRD claims in its group: plural, singular, kind, listKind and short names. */
function claims(crd: KubeObject): string[] {
  const names = obj(obj(crd.spec).names);
  return [names.plural, names.singular, names.kind, names.listKind, ...(Array.isArray(names.shortNames) ? names.shortNames : [])].filter((n): n is string => typeof n === 'string' && n !== '');
}

/** NamesAccepted, as upstream's naming controller decides it: an older CRD of the group holding a name wins. */
export function namesCondition(crd: KubeObject, all: readonly KubeObject[]): Condition {
  const group = obj(crd.spec).group;
  const mine = crd.metadata?.creationTimestamp ?? '';
  const taken = new Set(
    all
      .filter((o) => o.metadata?.name !== crd.metadata?.name && obj(o.spec).group === group)
      .filter((o) => `${o.metadata?.creationTimestamp ?? ''}${o.metadata?.name ?? ''}` < `${mine}${crd.metadata?.name ?? ''}`)
      .flatMap(claims),
  );
  const conflicts = claims(crd).filter((n) => taken.has(n));
  if (conflicts.length === 0) return { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };
  return { type: 'NamesAccepted', status: 'False', reason: 'NameConflict', message: conflicts.map((n) => `"${n}" is already in use`).join(', ') };
}

function withConditions(crd: KubeObject, wanted: Condition[]): KubeObject | undefined {
  const status = obj(crd.status);
  const current = (Array.isArray(status.conditions) ? status.conditions : []) as Array<Condition & { lastTransitionTime?: string }>;
  let changed = false;
  const conditions = [...current];
  for (const c of wanted) {
    const at = conditions.findIndex((o) => o.type === c.type);
    const old = conditions[at];
    if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) continue;
    changed = true;
    const next = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : nowTimestamp() };
    if (at >= 0) conditions[at] = next;
    else conditions.push(next);
  }
  const names = obj(obj(crd.spec).names);
  const accepted = wanted.some((c) => c.type === 'NamesAccepted' && c.status === 'True');
  const acceptedNames = accepted ? names : status.acceptedNames;
  if (accepted && JSON.stringify(acceptedNames) !== JSON.stringify(status.acceptedNames)) changed = true;
  return changed ? { ...crd, status: { ...status, conditions, acceptedNames } } : undefined;
}

const isTrue = (crd: KubeObject, type: string) => {
  const conditions = obj(crd.status).conditions;
  return Array.isArray(conditions) && (conditions as Condition[]).some((c) => c.type === type && c.status === 'True');
};

export class CrdController {
  private readonly cache: PrefixCache;
  private readonly served = new Set<string>();
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly objects: ObjectStore,
    private readonly onError: (err: unknown) => void,
  ) {
    this.cache = new PrefixCache(objects.storage, objects.key(CRD_TYPE, undefined), onError);
    this.cache.onChange = () => this.kick();
  }

  start(): Promise<void> {
    this.stopped = false;
    return this.cache.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.cache.stop();
    await this.running;
    for (const name of this.served) serveCustomTypes(name, []);
    this.served.clear();
  }

  /** Reconciles now, or once more after the pass under way. */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.reconcileAll()
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async reconcileAll(): Promise<void> {
    const all = this.cache.values();
    const names = new Set(all.map((crd) => crd.metadata?.name ?? ''));
    for (const name of this.served) {
      if (!names.has(name)) {
        serveCustomTypes(name, []);
        this.served.delete(name);
      }
    }
    await Promise.all(all.map((crd) => this.reconcile(crd, all).catch((err: unknown) => {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) this.onError(err);
    })));
  }

  private async reconcile(crd: KubeObject, all: readonly KubeObject[]): Promise<void> {
    const name = crd.metadata?.name ?? '';
    if (crd.metadata?.deletionTimestamp) return this.cleanUp(crd);
    const names = namesCondition(crd, all);
    const accepted = names.status === 'True';
    if (accepted) {
      serveCustomTypes(name, customTypes(crd));
      this.served.add(name);
    }
    const wanted: Condition[] = [names, accepted
      ? { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }
      : { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }];
    if (isTrue(crd, 'Established') && accepted && withConditions(crd, wanted) === undefined) return;
    await this.objects.guaranteedUpdate(CRD_TYPE, undefined, name, (current) => {
      const next = withConditions(current, wanted) ?? current;
      return { ...next, metadata: { ...next.metadata, resourceVersion: undefined } };
    }, { subresource: 'status' });
  }

  /** Deletes the CRD's custom resources (they stay readable meanwhile), then lets the CRD go. */
  private async cleanUp(crd: KubeObject): Promise<void> {
    const name = crd.metadata?.name ?? '';
    if (!(crd.metadata?.finalizers ?? []).includes(CLEANUP_FINALIZER)) return;
    const types = customTypes(crd).map((t) => ({ ...t, custom: { ...(t.custom as NonNullable<ResourceType['custom']>), terminating: true } }));
    serveCustomTypes(name, types);
    this.served.add(name);
    const terminating: Condition = { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' };
    if (withConditions(crd, [terminating])) {
      await this.objects.guaranteedUpdate(CRD_TYPE, undefined, name, (current) => ({ ...(withConditions(current, [terminating]) ?? current), metadata: { ...current.metadata, resourceVersion: undefined } }), { subresource: 'status' });
    }
    const [type] = types;
    let remaining = 0;
    if (type) {
      const page = await this.objects.storage.list(this.objects.key(type, undefined), {});
      for (const item of page.items) {
        const deleted = await this.objects.delete(type, item.metadata?.namespace, item.metadata?.name ?? '').catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 404) return undefined;
          throw err;
        });
        if (deleted?.metadata?.deletionTimestamp) remaining++;
      }
    }
    if (remaining > 0) {
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.kick(), CLEANUP_RETRY_MS);
      return;
    }
    serveCustomTypes(name, []);
    this.served.delete(name);
    await this.objects.guaranteedUpdate(CRD_TYPE, undefined, name, (current) => ({
      ...current,
      metadata: { ...current.metadata, resourceVersion: undefined, finalizers: (current.metadata?.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER) },
    }));
  }
}
