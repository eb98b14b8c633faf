/**
 * The ResourceQuota and LimitRanger admission plugins at the point an object is stored
 * (ObjectStore's reserve/release hooks): a new pod first gets its namespace's LimitRange
 * defaults and bounds (limitranger.ts), then every quota of the namespace is charged its usage
 * (quota-usage.ts) with a compare-and-swap on the quota's status.used, refused with 403
 * `exceeded quota` as upstream; deleting an object gives its usage back. A new quota starts with
 * status.hard and the namespace's current usage. Quotas with scopes are not enforced.
 */
import type { PrefixCache } from './cache.js';
import { limitPod } from './limitranger.js';
import type { ObjectStore } from './objects.js';
import { charge, formatQuantity, usageOf, type Usage } from './quota-usage.js';
import { findResource, RESOURCES, type ResourceType } from './resources.js';
import { ApiError } from './status.js';
import type { KubeObject } from './storage.js';
import { parseQuantity } from '../../kube/quantity.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const QUOTAS = findResource('', 'v1', 'resourcequotas') as ResourceType;
const LIMIT_RANGES = findResource('', 'v1', 'limitranges') as ResourceType;
/** How long an object this server created counts before its cache has it (upstream's live lookup TTL). */
const RECENT_MS = 30_000;

const forbidden = (type: ResourceType, object: KubeObject, reason: string) =>
  new ApiError(403, 'Forbidden', `${type.plural}${type.group ? `.${type.group}` : ''} "${object.metadata?.name ?? ''}" is forbidden: ${reason}`, { name: object.metadata?.name ?? '', group: type.group, kind: type.plural });

/** The kinds whose objects a quota's hard resource counts. */
function countedTypes(resource: string): ResourceType[] {
  const core = (plural: string) => [findResource('', 'v1', plural) as ResourceType];
  if (/^(requests\.|limits\.)?(cpu|memory|ephemeral-storage)$/.test(resource)) return core('pods');
  if (resource === 'requests.storage') return core('persistentvolumeclaims');
  if (resource.startsWith('services.')) return core('services');
  const counted = /^count\/([^.]+)(?:\.(.+))?$/.exec(resource);
  const [plural, group] = counted ? [counted[1] as string, counted[2] ?? ''] : [resource, ''];
  const type = RESOURCES.find((r) => r.plural === plural && r.group === group && !r.virtual);
  return type ? [type] : [];
}

export class QuotaAdmission {
  constructor(
    private readonly objects: ObjectStore,
    private readonly quotas: PrefixCache,
    private readonly limitRanges: PrefixCache,
  ) {}

  /** Quotas and LimitRanges this server just created: its next request must see them, cached or not. */
  private readonly recent = new Map<string, { object: KubeObject; cache: PrefixCache; until: number }>();

  private inNamespace(cache: PrefixCache, namespace: string): KubeObject[] {
    const cached = cache.values().filter((o) => o.metadata?.namespace === namespace);
    const names = new Set(cached.map((o) => o.metadata?.name));
    const now = Date.now();
    const recent: KubeObject[] = [];
    for (const [key, entry] of this.recent) {
      if (entry.until < now) this.recent.delete(key);
      else if (entry.cache === cache && entry.object.metadata?.namespace === namespace && !names.has(entry.object.metadata?.name)) recent.push(entry.object);
    }
    return [...cached, ...recent];
  }

  private recentKey(object: KubeObject, cache: PrefixCache): string {
    return `${cache.prefix}${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
  }

  private remember(object: KubeObject, cache: PrefixCache): void {
    this.recent.set(this.recentKey(object, cache), { object, cache, until: Date.now() + RECENT_MS });
  }

  /** Quotas that count this object: same namespace, no scopes, a hard limit on something it uses (or, for a pod, on compute). */
  private quotasFor(namespace: string, usage: Usage, pod: boolean): KubeObject[] {
    return this.inNamespace(this.quotas, namespace).filter((q) => {
      const s = obj(q.spec);
      if (s.scopes !== undefined || s.scopeSelector !== undefined) return false;
      return Object.keys(obj(s.hard)).some((k) => k in usage || (pod && /^(requests\.|limits\.)?(cpu|memory)$/.test(k)));
    });
  }

  /** Before a new object is stored: LimitRanger, then the quotas (a refusal charges nothing). */
  async reserve(type: ResourceType, object: KubeObject): Promise<void> {
    const namespace = object.metadata?.namespace;
    if (!type.namespaced || !namespace) return;
    if (type === QUOTAS) {
      await this.initialStatus(object);
      return this.remember(object, this.quotas);
    }
    if (type === LIMIT_RANGES) return this.remember(object, this.limitRanges);
    if (type.kind === 'Pod' && type.group === '') {
      const refused = limitPod(object, this.inNamespace(this.limitRanges, namespace));
      if (refused.length > 0) throw forbidden(type, object, refused.join(', '));
    }
    const usage = usageOf(type, object);
    const quotas = this.quotasFor(namespace, usage, type.kind === 'Pod' && type.group === '');
    const charged: KubeObject[] = [];
    try {
      for (const quota of quotas) {
        await this.objects.guaranteedUpdate(QUOTAS, namespace, quota.metadata?.name ?? '', (current) => {
          const result = charge(current, type, object, usage);
          if ('refused' in result) throw forbidden(type, object, result.refused);
          return { ...current, metadata: { ...current.metadata, resourceVersion: undefined }, status: { ...obj(current.status), used: result.used } };
        }).then(() => charged.push(quota), (err: unknown) => {
          // A quota deleted a moment ago (still cached) charges nothing.
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        });
      }
    } catch (err) {
      await Promise.all(charged.map((q) => this.giveBack(q, namespace, usage)));
      throw err;
    }
  }

  /** After an object is gone: its usage goes back to the namespace's quotas. */
  async release(type: ResourceType, object: KubeObject): Promise<void> {
    const namespace = object.metadata?.namespace;
    if (!type.namespaced || !namespace) return;
    // A quota or LimitRange that was not stored, or is gone, no longer counts.
    if (type === QUOTAS || type === LIMIT_RANGES) return void this.recent.delete(this.recentKey(object, type === QUOTAS ? this.quotas : this.limitRanges));
    const usage = usageOf(type, object);
    await Promise.all(this.quotasFor(namespace, usage, false).map((q) => this.giveBack(q, namespace, usage)));
  }

  private async giveBack(quota: KubeObject, namespace: string, usage: Usage): Promise<void> {
    await this.objects.guaranteedUpdate(QUOTAS, namespace, quota.metadata?.name ?? '', (current) => {
      const used = { ...obj(obj(current.status).used) };
      for (const [k, delta] of Object.entries(usage)) {
        if (used[k] !== undefined) used[k] = formatQuantity(k, Math.max(0, (parseQuantity(String(used[k])) ?? 0) - delta));
      }
      return { ...current, metadata: { ...current.metadata, resourceVersion: undefined }, status: { ...obj(current.status), used } };
    }).catch(() => undefined);
  }

  /** A new quota's status: its hard limits and what the namespace already uses of them. */
  private async initialStatus(quota: KubeObject): Promise<void> {
    const hard = obj(obj(quota.spec).hard);
    const namespace = quota.metadata?.namespace as string;
    const used: Usage = Object.fromEntries(Object.keys(hard).map((k) => [k, 0]));
    const types = new Set(Object.keys(hard).flatMap(countedTypes));
    for (const type of types) {
      const page = await this.objects.storage.list(this.objects.key(type, namespace), {});
      for (const item of page.items) for (const [k, v] of Object.entries(usageOf(type, item))) if (k in used) used[k] = (used[k] ?? 0) + v;
    }
    if (Object.keys(hard).includes('resourcequotas') || Object.keys(hard).includes('count/resourcequotas')) {
      for (const k of ['resourcequotas', 'count/resourcequotas']) if (k in used) used[k] = (used[k] ?? 0) + 1;
    }
    quota.status = { hard: { ...hard }, used: Object.fromEntries(Object.entries(used).map(([k, v]) => [k, formatQuantity(k, v)])) };
  }
}
