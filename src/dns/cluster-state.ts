/**
 * The cluster as the DNS server sees it: Services and their endpoints, indexed for answering —
 * by `<name>.<namespace>`, by namespace, and by IP for reverse (PTR) lookups. Endpoints come from
 * discovery.k8s.io/v1 EndpointSlices (the `kubernetes.io/service-name` label) when the API serves
 * them, else from v1 Endpoints; both are reduced to the same EndpointRecord. Pure: API objects
 * in, an immutable index out (rebuilt on each change, O(objects)).
 */
import type { KubeObject } from '../kube/index.js';

export interface PortRecord {
  name: string;
  protocol: string;
  port: number;
}

export interface EndpointRecord {
  ip: string;
  hostname?: string;
  ready: boolean;
}

export interface EndpointSet {
  addresses: EndpointRecord[];
  ports: PortRecord[];
}

export interface ServiceRecord {
  namespace: string;
  name: string;
  headless: boolean;
  clusterIPs: string[];
  externalName?: string;
  ports: PortRecord[];
  publishNotReadyAddresses: boolean;
  /** Endpoint sets (one per EndpointSlice or Endpoints subset). */
  endpoints: EndpointSet[];
}

export interface ClusterIndex {
  /** `<name>.<namespace>` → service. */
  services: Map<string, ServiceRecord>;
  namespaces: Set<string>;
  /** IP → the FQDN labels (without the zone) that point at it, for PTR. */
  reverse: Map<string, string[]>;
}

interface ServiceObject extends KubeObject {
  spec?: { type?: string; clusterIP?: string; clusterIPs?: string[]; externalName?: string; ports?: Array<{ name?: string; protocol?: string; port: number }>; publishNotReadyAddresses?: boolean };
}

interface EndpointSliceObject extends KubeObject {
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; hostname?: string; conditions?: { ready?: boolean | null } }>;
  ports?: Array<{ name?: string; protocol?: string; port?: number }> | null;
}

interface EndpointsObject extends KubeObject {
  subsets?: Array<{
    addresses?: Array<{ ip: string; hostname?: string }>;
    notReadyAddresses?: Array<{ ip: string; hostname?: string }>;
    ports?: Array<{ name?: string; protocol?: string; port: number }>;
  }>;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const port = (p: { name?: string; protocol?: string; port?: number }): PortRecord => ({ name: p.name ?? '', protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port ?? 0 });

/** One EndpointSet per EndpointSlice (IPv4/IPv6 slices; FQDN slices carry no IPs). */
export function endpointSetsFromSlice(slice: EndpointSliceObject): EndpointSet[] {
  if (slice.addressType === 'FQDN') return [];
  return [{
    addresses: (slice.endpoints ?? []).flatMap((e) => (e.addresses ?? []).map((ip) => ({ ip, ...(e.hostname ? { hostname: e.hostname } : {}), ready: e.conditions?.ready !== false }))),
    ports: (slice.ports ?? []).filter((p) => p.port !== undefined).map(port),
  }];
}

/** One EndpointSet per subset of a v1 Endpoints object. */
export function endpointSetsFromEndpoints(endpoints: EndpointsObject): EndpointSet[] {
  return (endpoints.subsets ?? []).map((s) => ({
    addresses: [
      ...(s.addresses ?? []).map((a) => ({ ip: a.ip, ...(a.hostname ? { hostname: a.hostname } : {}), ready: true })),
      ...(s.notReadyAddresses ?? []).map((a) => ({ ip: a.ip, ...(a.hostname ? { hostname: a.hostname } : {}), ready: false })),
    ],
    ports: (s.ports ?? []).map(port),
  }));
}

/** The service an EndpointSlice or Endpoints object belongs to, `<name>.<namespace>`. */
export function endpointsOwner(object: KubeObject, isSlice: boolean): string | undefined {
  const name = isSlice ? object.metadata.labels?.[SERVICE_NAME_LABEL] : object.metadata.name;
  return name && object.metadata.namespace ? `${name}.${object.metadata.namespace}` : undefined;
}

/** The dashed form of an IP used as a DNS label (10.0.0.1 → 10-0-0-1, 2001:db8::1 → 2001-db8--1). */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** The label an endpoint is known by under its service: its hostname, else its dashed IP. */
export function endpointLabel(e: EndpointRecord): string {
  return e.hostname ?? dashedIP(e.ip);
}

/** The endpoints DNS publishes for a service: ready ones, or all with publishNotReadyAddresses. */
export function publishedEndpoints(svc: ServiceRecord): EndpointRecord[] {
  const seen = new Set<string>();
  const out: EndpointRecord[] = [];
  for (const set of svc.endpoints) {
    for (const e of set.addresses) {
      if ((!e.ready && !svc.publishNotReadyAddresses) || seen.has(e.ip)) continue;
      seen.add(e.ip);
      out.push(e);
    }
  }
  return out;
}

export function buildClusterIndex(services: ServiceObject[], endpoints: Map<string, EndpointSet[]>): ClusterIndex {
  const index: ClusterIndex = { services: new Map(), namespaces: new Set(), reverse: new Map() };
  const addReverse = (ip: string, name: string) => index.reverse.set(ip, [...(index.reverse.get(ip) ?? []), name]);
  for (const object of services) {
    const namespace = object.metadata.namespace ?? 'default';
    const name = object.metadata.name ?? '';
    const spec = object.spec ?? {};
    const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => ip !== 'None' && ip !== '');
    const key = `${name}.${namespace}`;
    const record: ServiceRecord = {
      namespace,
      name,
      headless: spec.type !== 'ExternalName' && ips.length === 0,
      clusterIPs: spec.type === 'ExternalName' ? [] : ips,
      ...(spec.type === 'ExternalName' && spec.externalName ? { externalName: spec.externalName.replace(/\.$/, '') } : {}),
      ports: (spec.ports ?? []).map(port),
      publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
      endpoints: endpoints.get(key) ?? [],
    };
    index.services.set(key, record);
    index.namespaces.add(namespace);
    for (const ip of record.clusterIPs) addReverse(ip, `${key}.svc`);
  }
  // As CoreDNS: a service IP names its service first; endpoint names come after.
  for (const [key, record] of index.services) for (const e of publishedEndpoints(record)) addReverse(e.ip, `${endpointLabel(e)}.${key}.svc`);
  return index;
}
