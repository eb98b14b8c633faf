/**
 * What kube-proxy reads from the API, reduced to what the rules need (pure): each Service port
 * that gets a virtual IP, and its endpoints from the Service's EndpointSlices, chosen as
 * upstream's CategorizeEndpoints does — ready endpoints, or when none is ready the serving
 * terminating ones, so a rolling update never leaves a Service empty while old pods drain.
 */
import type { KubeObject } from '../kube/index.js';

export interface ProxyEndpoint {
  ip: string;
  port: number;
  nodeName?: string;
}

export interface ProxyServicePort {
  /** `namespace/name:port` (upstream's ServicePortName), the comment on every rule. */
  id: string;
  clusterIP: string;
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  nodePort?: number;
  affinitySeconds?: number;
  externalLocal: boolean;
  internalLocal: boolean;
  /** Every usable endpoint, sorted by address. */
  endpoints: ProxyEndpoint[];
}

interface ServiceObject extends KubeObject {
  spec?: {
    clusterIP?: string;
    type?: string;
    ports?: Array<{ name?: string; port: number; protocol?: string; nodePort?: number }>;
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
  };
}

interface SliceObject extends KubeObject {
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean }; nodeName?: string }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }> | null;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const DEFAULT_AFFINITY_SECONDS = 10800;

/** An IPv4 address as a number (ordering, prefixes). */
export const ipToInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** Upstream: a nil condition counts as true, except terminating. */
function usable(slices: readonly SliceObject[], portName: string, protocol: string): ProxyEndpoint[] {
  const ready = new Map<string, ProxyEndpoint>();
  const terminating = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol);
    if (!port?.port) continue;
    for (const e of slice.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip) continue;
      const endpoint = { ip, port: port.port, ...(e.nodeName ? { nodeName: e.nodeName } : {}) };
      const key = `${ip}:${port.port}`;
      if (e.conditions?.ready !== false) ready.set(key, endpoint);
      else if (e.conditions?.serving !== false && e.conditions?.terminating === true) terminating.set(key, endpoint);
    }
  }
  const chosen = ready.size > 0 ? ready : terminating;
  return [...chosen.values()].sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip) || a.port - b.port);
}

/** The proxied ports of these Services (ClusterIP, NodePort, LoadBalancer with a cluster IP), sorted. */
export function proxyServicePorts(services: readonly KubeObject[], slices: readonly KubeObject[]): ProxyServicePort[] {
  const byService = new Map<string, SliceObject[]>();
  for (const slice of slices as SliceObject[]) {
    const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!name) continue;
    const key = `${slice.metadata.namespace}/${name}`;
    byService.set(key, [...(byService.get(key) ?? []), slice]);
  }
  const out: ProxyServicePort[] = [];
  for (const service of services as ServiceObject[]) {
    const spec = service.spec ?? {};
    const clusterIP = spec.clusterIP;
    if (!clusterIP || clusterIP === 'None' || clusterIP.includes(':') || spec.type === 'ExternalName') continue;
    const key = `${service.metadata.namespace}/${service.metadata.name}`;
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
    for (const port of spec.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      out.push({
        id: `${key}:${port.name ?? ''}`,
        clusterIP,
        port: port.port,
        protocol: protocol.toLowerCase() as ProxyServicePort['protocol'],
        ...((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && port.nodePort ? { nodePort: port.nodePort } : {}),
        ...(affinity !== undefined ? { affinitySeconds: affinity } : {}),
        externalLocal: spec.externalTrafficPolicy === 'Local',
        internalLocal: spec.internalTrafficPolicy === 'Local',
        endpoints: usable(byService.get(key) ?? [], port.name ?? '', protocol),
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

interface NodeObject extends KubeObject {
  spec?: { podCIDR?: string };
  status?: { addresses?: Array<{ type: string; address: string }> };
}

/**
 * The cluster's nodes on this machine: those with an InternalIP that is one of this machine's
 * addresses (any 127/8 address is: loopback answers them all). Node ports answer there.
 */
export function localNodes(nodes: readonly KubeObject[], machineAddresses: readonly string[]): Array<{ name: string; addresses: string[]; podCIDR?: string }> {
  const local = (ip: string) => ip.startsWith('127.') || machineAddresses.includes(ip);
  return (nodes as NodeObject[])
    .map((n) => ({ name: n.metadata.name ?? '', addresses: (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' && !a.address.includes(':') && local(a.address)).map((a) => a.address).sort(), ...(n.spec?.podCIDR ? { podCIDR: n.spec.podCIDR } : {}) }))
    .filter((n) => n.addresses.length > 0)
    .sort((a, b) => a.name.localeCompare(b.name));
}
