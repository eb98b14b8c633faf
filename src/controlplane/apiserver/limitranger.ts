/**
 * The LimitRanger admission plugin for pods, as upstream's plugin/pkg/admission/limitranger:
 * a namespace's LimitRanges of type Container fill each container's missing limits (`default`)
 * and requests (`defaultRequest`), noted in the `kubernetes.io/limit-ranger` annotation, then
 * every container's requests and limits must lie within `min` and `max` (and under
 * `maxLimitRequestRatio`). Returns the refusal messages; the pod is changed in place. Pure.
 */
import { parseQuantity } from '../../kube/quantity.js';
import type { KubeObject } from './storage.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const child = (parent: Obj, field: string): Obj => (parent[field] = obj(parent[field]));
const quantity = (v: unknown) => parseQuantity(v as string | undefined);

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function setDefaults(pod: KubeObject, items: Obj[]): void {
  const notes: string[] = [];
  for (const container of [...list(obj(pod.spec).initContainers), ...list(obj(pod.spec).containers)]) {
    const resources = child(container, 'resources');
    const set = { request: [] as string[], limit: [] as string[] };
    for (const item of items) {
      for (const [field, target, kind] of [['default', 'limits', 'limit'], ['defaultRequest', 'requests', 'request']] as const) {
        for (const [name, value] of Object.entries(obj(item[field]))) {
          const values = obj(resources[target]);
          if (values[name] !== undefined) continue;
          resources[target] = { ...values, [name]: value };
          set[kind].push(name);
        }
      }
    }
    if (Object.keys(resources).length === 0) delete container.resources;
    const parts = (['request', 'limit'] as const).filter((k) => set[k].length > 0).map((k) => `${set[k].join(', ')} ${k} for container ${String(container.name)}`);
    notes.push(...parts);
  }
  if (notes.length > 0) pod.metadata = { ...pod.metadata, annotations: { ...(pod.metadata?.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` } };
}

function containerBounds(container: Obj, item: Obj): string[] {
  const resources = obj(container.resources);
  const [requests, limits] = [obj(resources.requests), obj(resources.limits)];
  const errors: string[] = [];
  for (const [name, min] of Object.entries(obj(item.min))) {
    const request = quantity(requests[name]);
    if (request === undefined) errors.push(`minimum ${name} usage per Container is ${String(min)}.  No request is specified`);
    else if (request < (quantity(min) ?? 0)) errors.push(`minimum ${name} usage per Container is ${String(min)}, but request is ${String(requests[name])}`);
  }
  for (const [name, max] of Object.entries(obj(item.max))) {
    const limit = quantity(limits[name]);
    if (limit === undefined) errors.push(`maximum ${name} usage per Container is ${String(max)}.  No limit is specified`);
    else if (limit > (quantity(max) ?? 0)) errors.push(`maximum ${name} usage per Container is ${String(max)}, but limit is ${String(limits[name])}`);
  }
  for (const [name, ratio] of Object.entries(obj(item.maxLimitRequestRatio))) {
    const [request, limit] = [quantity(requests[name]), quantity(limits[name])];
    if (request && limit && limit / request > (quantity(ratio) ?? Infinity)) errors.push(`${name} max limit to request ratio per Container is ${String(ratio)}, but provided ratio is ${(limit / request).toFixed(6)}`);
  }
  return errors;
}

/** Applies a namespace's LimitRanges to a new pod; the messages of what they refuse. */
export function limitPod(pod: KubeObject, limitRanges: readonly KubeObject[]): string[] {
  const items = limitRanges.flatMap((lr) => list(obj(lr.spec).limits)).filter((item) => item.type === 'Container');
  if (items.length === 0) return [];
  setDefaults(pod, items);
  return list(obj(pod.spec).containers).flatMap((container) => items.flatMap((item) => containerBounds(container, item)));
}
