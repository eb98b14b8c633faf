/**
 * The kubernetes plugin's answers, as CoreDNS's plugin/kubernetes gives them, as a pure function
 * of the cluster index and one question:
 *
 * - `<svc>.<ns>.svc.<zone>`: A/AAAA of the ClusterIPs; for a headless service the ready
 *   endpoints' IPs; CNAME for an ExternalName service;
 * - `<endpoint>.<svc>.<ns>.svc.<zone>`: the endpoint named by its hostname (or dashed IP);
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` (and `<svc>.<ns>.svc.<zone>` for every port): SRV,
 *   with the targets' addresses as additional records;
 * - `<a-b-c-d>.<ns>.pod.<zone>` (`pods insecure`): the IP the name spells;
 * - PTR in in-addr.arpa / ip6.arpa for service and endpoint IPs;
 * - `dns-version.<zone>` TXT, the zone's SOA and NS.
 *
 * A name in the zone that does not exist is NXDOMAIN, one that exists without records of the
 * asked type is NODATA; both carry the zone's SOA (the negative-caching TTL). A reverse name that
 * is not a cluster IP falls through to the next plugin when `fallthrough` names its zone.
 */
import net from 'node:net';
import type { Answer, RecordType } from 'dns-packet';
import type { KubernetesPlugin } from './corefile.js';
import { endpointLabel, publishedEndpoints, type ClusterIndex, type EndpointRecord, type ServiceRecord } from './cluster-state.js';

export interface Resolution {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/** The question is not the kubernetes plugin's to answer (outside its zones, or fallthrough). */
export const NEXT_PLUGIN = 'next';

/** CoreDNS's kubernetes DNS schema version (`dns-version.<zone>` TXT). */
const DNS_SCHEMA_VERSION = '1.1.0';

/** The longest of `zones` that `name` is in (both lowercase, no trailing dot). */
export function matchZone(name: string, zones: string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) {
    const inside = z === '.' || name === z || name.endsWith(`.${z}`);
    if (inside && (best === undefined || best === '.' || z.length > best.length)) best = z;
  }
  return best;
}

/** `4.3.2.1.in-addr.arpa` → 1.2.3.4; the 32 nibbles of ip6.arpa → the IPv6 address. */
export function reverseNameToIP(name: string): string | undefined {
  const v4 = /^((?:\d{1,3}\.){4})in-addr\.arpa$/.exec(name);
  if (v4) {
    const ip = v4[1]!.slice(0, -1).split('.').reverse().join('.');
    return net.isIPv4(ip) ? ip : undefined;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (!v6) return undefined;
  const hex = v6[1]!.replace(/\./g, '').split('').reverse().join('');
  const ip = hex.match(/.{4}/g)!.join(':');
  return net.isIPv6(ip) ? normalizeIPv6(ip) : undefined;
}

function normalizeIPv6(ip: string): string {
  return new net.SocketAddress({ address: ip, family: 'ipv6' }).address;
}

/** `10-0-0-1` → 10.0.0.1, `2001-db8--1` → 2001:db8::1. */
function undashIP(label: string): string | undefined {
  if (net.isIPv4(label.replace(/-/g, '.'))) return label.replace(/-/g, '.');
  const v6 = label.replace(/-/g, ':');
  return net.isIPv6(v6) ? normalizeIPv6(v6) : undefined;
}

export function soaRecord(zone: string, ttl: number, serial: number): Answer {
  return {
    name: zone, type: 'SOA', class: 'IN', ttl,
    data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

function addressRecords(name: string, ips: string[], type: RecordType, ttl: number): Answer[] {
  const family = type === 'AAAA' ? 6 : 4;
  return ips.filter((ip) => net.isIP(ip) === family).map((ip) => ({ name, type: type === 'AAAA' ? 'AAAA' : 'A', class: 'IN', ttl, data: ip }) as Answer);
}

interface Found {
  /** Records per type for this name; an empty map means the name exists with no records. */
  records: Partial<Record<RecordType, Answer[]>>;
  additionals?: Answer[];
}

/** What a service name holds: A/AAAA, SRV for every port, or a CNAME. */
function serviceRecords(svc: ServiceRecord, fqdn: string, zone: string, ttl: number, noEndpoints: boolean, portFilter?: { name: string; protocol: string }): Found {
  if (svc.externalName) return { records: { CNAME: [{ name: fqdn, type: 'CNAME', class: 'IN', ttl, data: svc.externalName }] } };
  const base = `${svc.name}.${svc.namespace}.svc.${zone}`;
  const endpoints = svc.headless && !noEndpoints ? publishedEndpoints(svc) : [];
  const ips = svc.headless ? endpoints.map((e) => e.ip) : svc.clusterIPs;
  const srv: Answer[] = [];
  const additionals: Answer[] = [];
  const portMatches = (p: { name: string; protocol: string }) => !portFilter || (p.name === portFilter.name && p.protocol === portFilter.protocol);
  if (svc.headless) {
    for (const set of svc.endpoints) {
      for (const p of set.ports.filter(portMatches)) {
        for (const e of set.addresses.filter((a) => endpoints.includes(a))) {
          const target = `${endpointLabel(e)}.${base}`;
          srv.push({ name: fqdn, type: 'SRV', class: 'IN', ttl, data: { priority: 0, weight: 100, port: p.port, target } });
          additionals.push(...addressRecords(target, [e.ip], net.isIPv6(e.ip) ? 'AAAA' : 'A', ttl));
        }
      }
    }
  } else {
    for (const p of svc.ports.filter(portMatches)) srv.push({ name: fqdn, type: 'SRV', class: 'IN', ttl, data: { priority: 0, weight: 100, port: p.port, target: base } });
    if (srv.length) additionals.push(...addressRecords(base, ips, 'A', ttl), ...addressRecords(base, ips, 'AAAA', ttl));
  }
  if (portFilter) return srv.length ? { records: { SRV: srv }, additionals } : { records: {} };
  return { records: { A: addressRecords(fqdn, ips, 'A', ttl), AAAA: addressRecords(fqdn, ips, 'AAAA', ttl), SRV: srv }, additionals };
}

function endpointRecords(svc: ServiceRecord, label: string, fqdn: string, ttl: number): Found | undefined {
  const matches: EndpointRecord[] = publishedEndpoints(svc).filter((e) => endpointLabel(e) === label);
  if (!matches.length) return undefined;
  const ips = matches.map((e) => e.ip);
  return { records: { A: addressRecords(fqdn, ips, 'A', ttl), AAAA: addressRecords(fqdn, ips, 'AAAA', ttl) } };
}

/** The records of a name inside the cluster zone (labels before the zone), or undefined: NXDOMAIN. */
function clusterName(index: ClusterIndex, plugin: KubernetesPlugin, labels: string[], fqdn: string, zone: string): Found | undefined {
  const ttl = plugin.ttl;
  const n = labels.length;
  if (n === 0) {
    return { records: { SOA: [soaRecord(zone, ttl, 0)], NS: [{ name: zone, type: 'NS', class: 'IN', ttl, data: `ns.dns.${zone}` }] } };
  }
  if (n === 1 && labels[0] === 'dns-version') return { records: { TXT: [{ name: fqdn, type: 'TXT', class: 'IN', ttl, data: DNS_SCHEMA_VERSION }] } };
  const kind = labels[n - 1];
  if (kind === 'svc') {
    if (n === 1) return { records: {} };
    const namespace = labels[n - 2]!;
    if (n === 2) return index.namespaces.has(namespace) ? { records: {} } : undefined;
    const svc = index.services.get(`${labels[n - 3]}.${namespace}`);
    if (!svc) return undefined;
    if (n === 3) return serviceRecords(svc, fqdn, zone, ttl, plugin.noEndpoints);
    if (n === 4) return plugin.noEndpoints || svc.externalName ? undefined : endpointRecords(svc, labels[0]!, fqdn, ttl);
    if (n === 5 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) {
      const found = serviceRecords(svc, fqdn, zone, ttl, plugin.noEndpoints, { name: labels[0]!.slice(1), protocol: labels[1]!.slice(1) });
      return found.records.SRV ? found : undefined;
    }
    return undefined;
  }
  if (kind === 'pod' && n === 3 && plugin.pods === 'insecure') {
    const ip = undashIP(labels[0]!);
    return ip ? { records: { A: addressRecords(fqdn, [ip], 'A', ttl), AAAA: addressRecords(fqdn, [ip], 'AAAA', ttl) } } : undefined;
  }
  return undefined;
}

function reverseName(index: ClusterIndex, name: string, zone: string, ttl: number): Found | undefined {
  const ip = reverseNameToIP(name);
  const names = ip ? index.reverse.get(ip) : undefined;
  if (!names?.length) return undefined;
  return { records: { PTR: [{ name, type: 'PTR', class: 'IN', ttl, data: `${names[0]}.${zone}` }] } };
}

/**
 * Answers one question (`name` lowercase, no trailing dot) for the kubernetes plugin, or
 * NEXT_PLUGIN. `clusterZone` is the first non-reverse zone (where PTR targets live).
 */
export function resolveKubernetes(index: ClusterIndex, plugin: KubernetesPlugin, name: string, type: RecordType, serial = 0): Resolution | typeof NEXT_PLUGIN {
  const zone = matchZone(name, plugin.zones);
  if (!zone) return NEXT_PLUGIN;
  const clusterZone = plugin.zones.find((z) => !/(^|\.)(in-addr|ip6)\.arpa$/.test(z)) ?? zone;
  const reverse = /(^|\.)(in-addr|ip6)\.arpa$/.test(zone);
  const labels = name === zone ? [] : name.slice(0, name.length - zone.length - 1).split('.');
  const found = reverse ? (labels.length ? reverseName(index, name, clusterZone, plugin.ttl) : clusterName(index, plugin, [], name, zone)) : clusterName(index, plugin, labels, name, zone);
  const fallsThrough = plugin.fallthrough !== undefined && (plugin.fallthrough.length === 0 || matchZone(name, plugin.fallthrough) !== undefined);
  if (!found && fallsThrough) return NEXT_PLUGIN;
  const soa = [soaRecord(zone, plugin.ttl, serial)];
  if (!found) return { rcode: 'NXDOMAIN', answers: [], authorities: soa, additionals: [] };
  const byType = type === 'ANY' as RecordType ? Object.values(found.records).flat() : (found.records[type] ?? []);
  // A name that is an alias answers every type with its CNAME, as an authoritative server does.
  const answers = byType.length ? byType : (found.records.CNAME ?? []);
  if (!answers.length) return { rcode: 'NOERROR', answers: [], authorities: soa, additionals: [] };
  const additionals = type === 'SRV' ? (found.additionals ?? []) : [];
  return { rcode: 'NOERROR', answers, authorities: [], additionals };
}
