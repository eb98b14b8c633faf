/**
 * Shared shapes of the workload controllers (deployment, replicaset, daemonset, statefulset,
 * garbagecollector): the objects, controller ownership, pod readiness, and the template hash.
 */
import type { KubeObject } from '../../kube/index.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface WorkloadMeta {
  generation?: number;
}

export interface ReplicaSet extends KubeObject {
  metadata: KubeObject['metadata'] & WorkloadMeta;
  spec: { replicas?: number; minReadySeconds?: number; selector: LabelSelector; template: PodTemplate };
  status?: { replicas?: number; fullyLabeledReplicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number };
}

export interface WorkloadPod extends KubeObject {
  spec: Record<string, unknown> & { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> };
}

export const POD_TEMPLATE_HASH = 'pod-template-hash';

export function matchesSelector(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  if (!Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'NotIn') return value === undefined || !(e.values ?? []).includes(value);
    if (e.operator === 'Exists') return value !== undefined;
    return value === undefined;
  });
}

/** The controller owner reference of an object, if any. */
export const controllerOf = (object: KubeObject) => object.metadata.ownerReferences?.find((r) => r.controller);

/** The queue key (`namespace/name`) of an object's controller when that is a `kind`. */
export function controllerKey(object: KubeObject, kind: string): string | undefined {
  const owner = controllerOf(object);
  return owner?.kind === kind ? `${object.metadata.namespace}/${owner.name}` : undefined;
}

export const isControlledBy = (object: KubeObject, owner: KubeObject) => controllerOf(object)?.uid === owner.metadata.uid;

export function ownerReference(owner: KubeObject): NonNullable<KubeObject['metadata']['ownerReferences']>[number] {
  const ref = { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true };
  return Object.assign(ref, { blockOwnerDeletion: true });
}

/**
 * A pod from a controller's template (upstream's GetPodFromTemplate): copies of the template's
 * labels (plus `labels`), annotations and spec, and a controller ownerReference to `owner`.
 */
export function controlledPod(owner: KubeObject, kind: string, template: PodTemplate, identity: { name: string } | { generateName: string }, labels: Record<string, string> = {}): WorkloadPod {
  const copy = structuredClone(template);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...identity,
      namespace: owner.metadata.namespace,
      labels: { ...(copy.metadata?.labels ?? {}), ...labels },
      ...(copy.metadata?.annotations ? { annotations: copy.metadata.annotations } : {}),
      ownerReferences: [ownerReference({ ...owner, apiVersion: owner.apiVersion ?? 'apps/v1', kind: owner.kind ?? kind })],
    },
    spec: copy.spec,
  };
}

/** A pod that counts toward replicas: not finished and not being deleted. */
export const isPodActive = (pod: WorkloadPod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !pod.metadata.deletionTimestamp;

const readyCondition = (pod: WorkloadPod) => pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
export const isPodReady = (pod: WorkloadPod) => Boolean(readyCondition(pod));

/** Ready for at least minReadySeconds. */
export function isPodAvailable(pod: WorkloadPod, minReadySeconds: number, now: number): boolean {
  const ready = readyCondition(pod);
  if (!ready) return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
  return since + minReadySeconds * 1000 <= now;
}

export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The pod-template-hash label value: FNV-1a (32-bit) of the template (without that label) and
 * the collision count, written with upstream's safe alphabet (no vowels, no look-alikes).
 */
export function podTemplateHash(template: PodTemplate, collisionCount = 0): string {
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH];
  return objectHash({ ...template, metadata: { ...template.metadata, labels } }, collisionCount);
}

/** The same hash of any JSON value (a ControllerRevision's data). */
export function objectHash(value: unknown, collisionCount = 0): string {
  const text = canonical(value) + (collisionCount ? String(collisionCount) : '');
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...String(hash)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

