/**
 * What the endpointslice and endpoints controllers share (pure): the Service and Pod shapes,
 * which pods back a Service (its selector, in its namespace, with an IP, not finished), each
 * pod's endpoint conditions, and its ports (upstream's podutil.FindPort: a numeric targetPort as
 * is, a named one looked up in the pod's containers; a name no container has leaves that port
 * out for that pod, so the pod gets no traffic on it).
 */
import type { KubeObject } from '../../kube/index.js';
import { isPodReady, type WorkloadPod } from './workloads.js';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  spec: {
    selector?: Record<string, string>;
    ports?: ServicePort[];
    clusterIP?: string;
    clusterIPs?: string[];
    type?: string;
    publishNotReadyAddresses?: boolean;
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    externalIPs?: string[];
  };
}

export interface ServicePod extends WorkloadPod {
  spec: WorkloadPod['spec'] & {
    hostname?: string;
    subdomain?: string;
    containers?: Array<{ ports?: Array<{ name?: string; containerPort: number; protocol?: string }> }>;
  };
  status?: WorkloadPod['status'] & { podIP?: string; podIPs?: Array<{ ip: string }> };
}

/** An endpoint port as both APIs write it. */
export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface PodEndpoint {
  pod: ServicePod;
  ip: string;
  ports: EndpointPort[];
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  hostname?: string;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** Services the controllers fill: a selector, and not ExternalName (upstream skips both otherwise). */
export const managesEndpoints = (service: Service) => service.spec.type !== 'ExternalName' && Object.keys(service.spec.selector ?? {}).length > 0;

export const selects = (service: Service, pod: KubeObject) =>
  pod.metadata.namespace === service.metadata.namespace && Object.entries(service.spec.selector ?? {}).every(([k, v]) => pod.metadata.labels?.[k] === v);

/** The port number a service port reaches on this pod, or undefined (FindPort's error). */
export function findPort(pod: ServicePod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const container of pod.spec.containers ?? []) {
    for (const p of container.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

export function endpointPorts(service: Service, pod: ServicePod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const port of service.spec.ports ?? []) {
    const number = findPort(pod, port);
    if (number === undefined) continue;
    out.push({ name: port.name ?? '', port: number, protocol: port.protocol ?? 'TCP', ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}) });
  }
  return out;
}

/**
 * The pods of a Service as endpoints, sorted by pod name. `includeTerminating`: the
 * EndpointSlice controller keeps terminating pods (serving/terminating conditions), the
 * Endpoints controller only with publishNotReadyAddresses (upstream's ShouldPodBeInEndpoints).
 */
export function podEndpoints(service: Service, pods: readonly ServicePod[], includeTerminating: boolean): PodEndpoint[] {
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (!selects(service, pod)) continue;
    const ip = pod.status?.podIP;
    if (!ip || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    if (terminating && !includeTerminating) continue;
    const serving = isPodReady(pod);
    const hostname = pod.spec.hostname && pod.spec.subdomain === service.metadata.name ? pod.spec.hostname : undefined;
    out.push({ pod, ip, ports: endpointPorts(service, pod), serving, terminating, ready: Boolean(service.spec.publishNotReadyAddresses) || (serving && !terminating), ...(hostname ? { hostname } : {}) });
  }
  return out.sort((a, b) => (a.pod.metadata.name ?? '').localeCompare(b.pod.metadata.name ?? ''));
}

/** The labels both controllers put on their objects: the Service's own, plus headless when it is. */
export function derivedLabels(service: Service): Record<string, string> {
  const labels = { ...(service.metadata.labels ?? {}) };
  if (service.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export const portsKey = (ports: readonly EndpointPort[]) => JSON.stringify([...ports].sort((a, b) => a.name.localeCompare(b.name)).map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? '']));

export const targetRef = (pod: ServicePod) => ({ kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid });
