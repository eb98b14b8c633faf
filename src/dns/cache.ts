/**
 * The cache plugin: answers kept for min(their TTL, the plugin's TTL) by (name, type, DO bit),
 * positive and negative (NXDOMAIN/NODATA, by the SOA's minimum) alike, except in zones its
 * `disable success|denial` lines name — kubeadm disables both for the cluster domain, so service
 * changes show at once. A hit comes back with its TTLs lowered by the time it spent cached.
 * Bounded like CoreDNS's (9984 entries per kind); the oldest entry goes first.
 */
import type { Answer, Packet } from 'dns-packet';
import type { CachePlugin } from './corefile.js';
import { matchZone } from './resolve.js';

const CAPACITY = 9984;

interface Entry {
  packet: Packet;
  storedAt: number;
  expiresAt: number;
}

export type CacheKind = 'success' | 'denial';

function ttlOf(records: Answer[]): number | undefined {
  const ttls = records.map((r) => (r as { ttl?: number }).ttl ?? 0);
  return ttls.length ? Math.min(...ttls) : undefined;
}

function withTtlLowered(records: Answer[] | undefined, by: number): Answer[] {
  return (records ?? []).map((r) => (r.type === 'OPT' ? r : { ...r, ttl: Math.max(0, ((r as { ttl?: number }).ttl ?? 0) - by) }) as Answer);
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(private readonly plugin: CachePlugin) {}

  static key(name: string, type: string, dnssecOk: boolean): string {
    return `${name}|${type}|${dnssecOk ? 1 : 0}`;
  }

  get(key: string, now: number): Packet | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= now) {
      if (entry) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    const elapsed = Math.floor((now - entry.storedAt) / 1000);
    const p = entry.packet;
    return { ...p, answers: withTtlLowered(p.answers, elapsed), authorities: withTtlLowered(p.authorities, elapsed), additionals: withTtlLowered(p.additionals, elapsed) };
  }

  /** Stores a response for `name` when its kind is cached there and it says how long it may live. */
  set(key: string, name: string, response: Packet & { rcode?: string }, now: number): void {
    const denial = response.rcode === 'NXDOMAIN' || (response.rcode === 'NOERROR' && !(response.answers ?? []).length);
    if (response.rcode !== 'NOERROR' && response.rcode !== 'NXDOMAIN') return;
    const disabled = denial ? this.plugin.disableDenial : this.plugin.disableSuccess;
    if (matchZone(name, disabled) !== undefined) return;
    const soa = (response.authorities ?? []).find((r) => r.type === 'SOA') as { data?: { minimum?: number }; ttl?: number } | undefined;
    const ttl = denial ? Math.min(soa?.ttl ?? 0, soa?.data?.minimum ?? 0) : ttlOf(response.answers ?? []);
    if (!ttl) return;
    if (this.entries.size >= CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    // Served TTLs never exceed the cache's own (as CoreDNS caps them).
    const cap = (records: Answer[] | undefined) => (records ?? []).map((r) => (r.type === 'OPT' ? r : { ...r, ttl: Math.min((r as { ttl?: number }).ttl ?? 0, this.plugin.ttl) }) as Answer);
    const packet = { ...response, answers: cap(response.answers), authorities: cap(response.authorities), additionals: cap(response.additionals) };
    this.entries.set(key, { packet, storedAt: now, expiresAt: now + Math.min(ttl, this.plugin.ttl) * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}
