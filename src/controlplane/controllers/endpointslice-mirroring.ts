/**
 * endpointslicemirroring: the Endpoints a user writes for a Service without a selector, mirrored
 * into EndpointSlices as upstream's controller (pkg/controller/endpointslicemirroring) does, so
 * kube-proxy and the cluster DNS (which read slices) see them. A slice per subset port set and
 * address family, at most 1000 endpoints per subset (the rest left out, as upstream's
 * --mirroring-max-endpoints-per-subset), ready from `addresses` and not ready from
 * `notReadyAddresses`; labels are the Endpoints' plus `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by: endpointslicemirroring-controller.k8s.io`,
 * annotations the Endpoints' but the trigger time and kubectl's last-applied, and the Endpoints
 * is the slices' controller owner. Nothing is mirrored for a Service with a selector (the
 * endpointslice controller writes those), without a Service, or with the label
 * `endpointslice.kubernetes.io/skip-mirror: "true"` (the API server's `kubernetes` Endpoints);
 * slices already mirrored then go.
 */
import { isIP } from 'node:net';
import type { KubeObject } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { applySlicePlan, MANAGED_BY_LABEL, planSlices, type EndpointSlice } from './endpointslice.js';
import { TRIGGER_TIME_ANNOTATION } from './endpoints.js';
import { SERVICE_NAME_LABEL, type EndpointPort, type Service } from './service-endpoints.js';
import { ownerReference } from './workloads.js';

export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
export const MAX_ENDPOINTS_PER_SUBSET = 1000;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface MirroredAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: Record<string, unknown>;
}

/** v1 Endpoints as a user may write them (most fields optional). */
export interface Endpoints extends KubeObject {
  subsets?: Array<{ addresses?: MirroredAddress[]; notReadyAddresses?: MirroredAddress[]; ports?: Array<{ name?: string; port: number; protocol?: string; appProtocol?: string }> }>;
}

/** Whether the Endpoints of this Service are mirrored (upstream's shouldMirror plus the Service's selector check). */
export function mirrors(endpoints: Endpoints | undefined, service: Service | undefined): endpoints is Endpoints {
  return Boolean(endpoints && service && service.spec.selector === undefined && endpoints.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true');
}

/** The slices mirroring an Endpoints (without names). */
export function mirroredSlices(endpoints: Endpoints): EndpointSlice[] {
  const name = endpoints.metadata.name!;
  const labels = { ...endpoints.metadata.labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MIRRORING_CONTROLLER_NAME };
  const annotations = Object.fromEntries(Object.entries(endpoints.metadata.annotations ?? {}).filter(([k]) => k !== TRIGGER_TIME_ANNOTATION && k !== LAST_APPLIED));
  const out: EndpointSlice[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const members = [...(subset.addresses ?? []).map((a) => [a, true] as const), ...(subset.notReadyAddresses ?? []).map((a) => [a, false] as const)].slice(0, MAX_ENDPOINTS_PER_SUBSET);
    for (const [family, addressType] of [[4, 'IPv4'], [6, 'IPv6']] as const) {
      // An address that is no IP of either family is skipped, as upstream does.
      const of = members.filter(([a]) => isIP(a.ip) === family);
      if (of.length === 0) continue;
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { generateName: `${name}-`, namespace: endpoints.metadata.namespace, labels, annotations, ownerReferences: [ownerReference({ ...endpoints, apiVersion: 'v1', kind: 'Endpoints' })] },
        addressType,
        endpoints: of.map(([a, ready]) => ({
          addresses: [a.ip],
          conditions: { ready },
          ...(a.hostname ? { hostname: a.hostname } : {}),
          ...(a.targetRef ? { targetRef: a.targetRef } : {}),
          ...(a.nodeName ? { nodeName: a.nodeName } : {}),
        })),
        ports,
      });
    }
  }
  return out;
}

const mirroredKey = (s: EndpointSlice) =>
  s.metadata.labels?.[MANAGED_BY_LABEL] === MIRRORING_CONTROLLER_NAME && s.metadata.labels[SERVICE_NAME_LABEL] ? `${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL]}` : undefined;

export const endpointSliceMirroringController: Controller = {
  name: 'endpointslicemirroring',
  async run(ctx: ControllerContext) {
    const services = ctx.informers.informerFor<Service>(ref('services'));
    const endpoints = ctx.informers.informerFor<Endpoints>(ref('endpoints'));
    const slices = ctx.informers.informerFor<EndpointSlice>(ref('endpointslices'));
    const queue = contextQueue(ctx, 'endpointslicemirroring');
    const enqueue = (o: KubeObject) => queue.add(objectKey(o));
    const forSlice = (s: EndpointSlice) => {
      const key = mirroredKey(s);
      if (key) queue.add(key);
    };
    for (const informer of [services, endpoints] as const) informer.on({ add: enqueue, update: (_, o) => enqueue(o), delete: enqueue });
    slices.on({ add: forSlice, update: (_, s) => forSlice(s), delete: forSlice });
    await Promise.all([services.synced(), endpoints.synced(), slices.synced()]);
    const sync = async (key: string) => {
      const source = endpoints.get(key);
      const wanted = mirrors(source, services.get(key)) ? mirroredSlices(source) : [];
      await applySlicePlan(ctx, 'endpointslicemirroring', key, planSlices(wanted, slices.list().filter((s) => mirroredKey(s) === key)));
    };
    await Promise.race([runQueue(ctx, queue, 5, sync), untilAborted(ctx.signal)]);
  },
};
