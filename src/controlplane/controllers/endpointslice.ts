/**
 * endpointslice: for every Service with a selector, EndpointSlices (discovery.k8s.io/v1) of the
 * pods it selects, as upstream's controller writes them: labelled `kubernetes.io/service-name`
 * and `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io` (plus the
 * Service's labels and `service.kubernetes.io/headless`), owned by the Service, endpoints
 * grouped by their port set (a pod whose named targetPort no container has lands without that
 * port) at most 100 per slice, conditions ready/serving/terminating from the pod's Ready
 * condition and deletionTimestamp (ready always with publishNotReadyAddresses). A Service with
 * no pods keeps one empty placeholder slice. Existing slices are updated in place, surplus ones
 * deleted, so a scale change rewrites one object.
 */
import { isNotFound, type KubeObject } from '../../kube/index.js';
import type { Controller, ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { runServiceLoop } from './service-loop.js';
import { derivedLabels, managesEndpoints, podEndpoints, portsKey, SERVICE_NAME_LABEL, targetRef, type EndpointPort, type PodEndpoint, type Service } from './service-endpoints.js';
import { ownerReference } from './workloads.js';

export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints: Array<Record<string, unknown>>;
  ports: EndpointPort[] | null;
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

function sliceEndpoint(e: PodEndpoint): Record<string, unknown> {
  return {
    addresses: [e.ip],
    conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
    ...(e.hostname ? { hostname: e.hostname } : {}),
    targetRef: targetRef(e.pod),
    ...(e.pod.spec.nodeName ? { nodeName: e.pod.spec.nodeName } : {}),
  };
}

/** The slices a Service should have (without names): one per port set and 100 endpoints. */
export function desiredSlices(service: Service, endpoints: readonly PodEndpoint[]): EndpointSlice[] {
  const labels = { ...derivedLabels(service), [SERVICE_NAME_LABEL]: service.metadata.name!, [MANAGED_BY_LABEL]: CONTROLLER_NAME };
  const slice = (ports: EndpointPort[] | null, members: readonly PodEndpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { generateName: `${service.metadata.name}-`, namespace: service.metadata.namespace, labels, ownerReferences: [ownerReference({ ...service, apiVersion: 'v1', kind: 'Service' })] },
    addressType: 'IPv4',
    endpoints: members.map(sliceEndpoint),
    ports,
  });
  const groups = new Map<string, PodEndpoint[]>();
  for (const e of endpoints.filter((e) => !e.ip.includes(':'))) groups.set(portsKey(e.ports), [...(groups.get(portsKey(e.ports)) ?? []), e]);
  const out: EndpointSlice[] = [];
  for (const members of groups.values()) {
    for (let i = 0; i < members.length; i += MAX_ENDPOINTS_PER_SLICE) out.push(slice(members[0]!.ports, members.slice(i, i + MAX_ENDPOINTS_PER_SLICE)));
  }
  return out.length > 0 ? out : [slice(null, [])];
}

/** What a slice says; its annotations count only where the wanted slice sets them (the mirroring controller's do). */
const content = (s: EndpointSlice, wanted: EndpointSlice) => JSON.stringify([s.metadata.labels ?? {}, wanted.metadata.annotations ? (s.metadata.annotations ?? {}) : null, s.addressType, s.endpoints ?? [], s.ports ?? null]);
const keyOf = (s: EndpointSlice) => `${s.addressType} ${s.ports ? portsKey(s.ports) : 'placeholder'}`;

/** Pairs wanted slices with existing ones of the same port set: update what differs, create the rest, delete the surplus. */
export function planSlices(wanted: readonly EndpointSlice[], existing: readonly EndpointSlice[]): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const pool = new Map<string, EndpointSlice[]>();
  for (const s of [...existing].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) pool.set(keyOf(s), [...(pool.get(keyOf(s)) ?? []), s]);
  for (const w of wanted) {
    const current = pool.get(keyOf(w))?.shift();
    if (!current) plan.create.push(w);
    else if (content(current, w) !== content(w, w)) {
      plan.update.push({ ...current, metadata: { ...current.metadata, labels: w.metadata.labels, ...(w.metadata.annotations ? { annotations: w.metadata.annotations } : {}) }, addressType: w.addressType, endpoints: w.endpoints, ports: w.ports });
    }
  }
  for (const rest of pool.values()) plan.delete.push(...rest);
  return plan;
}

/** Writes a plan: deletions first (a gone slice is fine), then updates and creations. */
export async function applySlicePlan(ctx: ControllerContext, controller: string, key: string, plan: SlicePlan): Promise<void> {
  const gone = (err: unknown) => {
    if (!isNotFound(err)) throw err;
  };
  for (const s of plan.delete) await ctx.client.delete(ref('endpointslices', s.metadata.namespace, s.metadata.name)).catch(gone);
  for (const s of plan.update) await ctx.client.update(ref('endpointslices', s.metadata.namespace, s.metadata.name), s);
  for (const s of plan.create) await ctx.client.create(ref('endpointslices', s.metadata.namespace), s);
  if (plan.create.length + plan.update.length + plan.delete.length > 0) ctx.log.debug(2, `[${controller}] ${key}: created ${plan.create.length}, updated ${plan.update.length}, deleted ${plan.delete.length}`);
}

export const endpointSliceController: Controller = {
  name: 'endpointslice',
  async run(ctx: ControllerContext) {
    await runServiceLoop<EndpointSlice>(ctx, {
      name: 'endpointslice',
      owned: ref('endpointslices'),
      serviceKeyOf: (s) => (s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME && s.metadata.labels[SERVICE_NAME_LABEL] ? `${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL]}` : undefined),
      async sync(key, service, pods, existing) {
        // Services without a selector are left to whoever writes their slices (upstream).
        if (service && service.spec.type !== 'ExternalName' && !managesEndpoints(service)) return;
        const wanted = service && managesEndpoints(service) ? desiredSlices(service, podEndpoints(service, pods, true)) : [];
        await applySlicePlan(ctx, 'endpointslice', key, planSlices(wanted, existing));
      },
    });
  },
};
