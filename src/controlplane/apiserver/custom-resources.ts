/**
 * Custom resources, served generically from their CRD's version (resources.ts CustomVersion):
 * pruning and defaults from the structural schema on every write, metadata.generation as
 * upstream counts it, validation against the schema, the scale subresource at the CRD's
 * paths, and additionalPrinterColumns cells. Pure but for the scale handler's store calls.
 */
import { applyDefaults, prune, validateCustom } from './custom-schema.js';
import type { ResourceType } from './resources.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';
import { scaleHandler, type SubresourceRequest, type SubresourceResult } from './subresources.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Prunes unknown fields and fills defaults (upstream does both when decoding a request). */
export function prepareCustom(type: ResourceType, object: KubeObject): void {
  if (!type.custom) return;
  prune(object, type.custom.schema);
  applyDefaults(object, type.custom.schema);
}

/** What ?fieldValidation=Strict refuses: the fields pruning would drop, as `.spec.x`. */
export function unknownCustomFields(type: ResourceType, object: KubeObject): string[] {
  return type.custom ? prune(structuredClone(object), type.custom.schema).map((p) => `.${p}`) : [];
}

/** Upstream's generation: 1 on create, +1 when anything but metadata (and status, with its subresource) changes. */
export function customGeneration(type: ResourceType, object: KubeObject, previous: KubeObject | undefined): void {
  if (!previous) {
    object.metadata = { ...object.metadata, generation: 1 };
    return;
  }
  const strip = (o: KubeObject) => JSON.stringify({ ...o, metadata: undefined, ...(type.subresources.includes('status') ? { status: undefined } : {}) });
  const before = Number(previous.metadata?.generation ?? 1);
  object.metadata = { ...object.metadata, generation: strip(object) === strip(previous) ? before : before + 1 };
}

export function customCauses(type: ResourceType, object: KubeObject): StatusCause[] {
  return type.custom ? validateCustom(object, type.custom.schema) : [];
}

/** The value at a simple JSONPath (`.spec.replicas`, `.status.conditions[0].type`). */
export function valueAtPath(object: unknown, jsonPath: string): unknown {
  const steps = jsonPath.replace(/^\{?\.?/, '').replace(/\}$/, '').split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '');
  let node = object;
  for (const step of steps) {
    if (Array.isArray(node) && /^\d+$/.test(step)) node = node[Number(step)];
    else if (node && typeof node === 'object' && !Array.isArray(node)) node = (node as Obj)[step];
    else return undefined;
  }
  return node;
}

function setAtPath(object: Obj, jsonPath: string, value: unknown): void {
  const steps = jsonPath.replace(/^\./, '').split('.');
  let node = object;
  for (const step of steps.slice(0, -1)) node = (node[step] = obj(node[step]));
  node[steps.at(-1) as string] = value;
}

function toScale(type: ResourceType, object: KubeObject): KubeObject {
  const paths = type.custom?.scale as NonNullable<NonNullable<ResourceType['custom']>['scale']>;
  const meta = object.metadata ?? {};
  const selector = paths.labelSelectorPath ? valueAtPath(object, paths.labelSelectorPath) : undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: meta.creationTimestamp },
    spec: { replicas: Number(valueAtPath(object, paths.specReplicasPath) ?? 0) },
    status: { replicas: Number(valueAtPath(object, paths.statusReplicasPath) ?? 0), ...(typeof selector === 'string' ? { selector } : {}) },
  };
}

function setReplicas(type: ResourceType, object: KubeObject, replicas: number): KubeObject {
  const next = structuredClone(object);
  setAtPath(next, (type.custom?.scale as { specReplicasPath: string }).specReplicasPath, replicas);
  return next;
}

/** `<custom>/scale`: an autoscaling/v1 Scale read from and written to the CRD's replica paths. */
export function customScale(request: SubresourceRequest): Promise<SubresourceResult> {
  return scaleHandler(toScale, setReplicas)(request);
}
