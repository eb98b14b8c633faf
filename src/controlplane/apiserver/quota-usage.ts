/**
 * What an object costs against a ResourceQuota, as upstream's quota evaluators count it
 * (pkg/quota/v1/evaluator/core): object counts (`pods`, `services`, `count/deployments.apps`, …),
 * a pod's compute requests and limits, a claim's storage, a Service's node ports and load
 * balancers; and the admission decision with upstream's messages (`exceeded quota: …`,
 * `must specify …`). Pure.
 */
import { parseQuantity } from '../../kube/quantity.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './storage.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
export type Usage = Record<string, number>;

/** Core kinds quotas count by their bare plural (besides count/<plural>). */
const LEGACY_COUNTED = new Set(['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas']);
const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

const terminal = (pod: KubeObject) => ['Succeeded', 'Failed'].includes(String(obj(pod.status).phase));

function podCompute(pod: KubeObject): Usage {
  const usage: Usage = {};
  for (const container of list(obj(pod.spec).containers)) {
    const resources = obj(container.resources);
    for (const name of COMPUTE) {
      const request = parseQuantity(obj(resources.requests)[name] as string | undefined) ?? parseQuantity(obj(resources.limits)[name] as string | undefined);
      const limit = parseQuantity(obj(resources.limits)[name] as string | undefined);
      if (request !== undefined) {
        usage[`requests.${name}`] = (usage[`requests.${name}`] ?? 0) + request;
        usage[name] = (usage[name] ?? 0) + request;
      }
      if (limit !== undefined) usage[`limits.${name}`] = (usage[`limits.${name}`] ?? 0) + limit;
    }
  }
  return usage;
}

/** The usage one object adds to its namespace's quotas. */
export function usageOf(type: ResourceType, object: KubeObject): Usage {
  if (type.kind === 'Pod' && type.group === '' && terminal(object)) return {};
  const usage: Usage = { [`count/${type.plural}${type.group ? `.${type.group}` : ''}`]: 1 };
  if (type.group === '' && LEGACY_COUNTED.has(type.plural)) usage[type.plural] = 1;
  if (type.group !== '') return usage;
  if (type.plural === 'pods') Object.assign(usage, podCompute(object));
  if (type.plural === 'persistentvolumeclaims') {
    const storage = parseQuantity(obj(obj(obj(object.spec).resources).requests).storage as string | undefined);
    if (storage !== undefined) usage['requests.storage'] = storage;
  }
  if (type.plural === 'services') {
    const serviceType = obj(object.spec).type;
    if (serviceType === 'LoadBalancer') usage['services.loadbalancers'] = 1;
    if (serviceType === 'NodePort' || serviceType === 'LoadBalancer') usage['services.nodeports'] = list(obj(object.spec).ports).length;
  }
  return usage;
}

/** A quantity as the quota's status shows it: millicores for CPU, binary suffixes for bytes. */
export function formatQuantity(resource: string, value: number): string {
  if (/cpu$/.test(resource)) return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
  for (const [suffix, size] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (value >= size && value % size === 0) return `${value / size}${suffix}`;
  return String(value);
}

const pretty = (resources: Record<string, number>) => Object.keys(resources).sort().map((k) => `${k}=${formatQuantity(k, resources[k] as number)}`).join(',');

/**
 * The quota's status.used after charging `usage`, or the reason it is refused: a tracked compute
 * resource a container does not specify, or a resource over its hard limit.
 */
export function charge(quota: KubeObject, type: ResourceType, object: KubeObject, usage: Usage): { used: Record<string, string> } | { refused: string } {
  const hard = obj(obj(quota.spec).hard);
  const name = quota.metadata?.name ?? '';
  if (type.kind === 'Pod' && type.group === '') {
    const missing: string[] = [];
    for (const resource of Object.keys(hard).filter((k) => /^(requests\.|limits\.)?(cpu|memory)$/.test(k)).sort()) {
      const [kind, compute] = resource.includes('.') ? (resource.split('.') as [string, string]) : ['requests', resource];
      const lacking = list(obj(object.spec).containers).filter((c) => obj(obj(c.resources).limits)[compute] === undefined && (kind === 'limits' || obj(obj(c.resources).requests)[compute] === undefined));
      if (lacking.length > 0) missing.push(`${resource} for: ${lacking.map((c) => String(c.name)).join(',')}`);
    }
    if (missing.length > 0) return { refused: `failed quota: ${name}: must specify ${missing.join('; ')}` };
  }
  const status = obj(quota.status);
  const usedNow = obj(status.used);
  const used: Record<string, string> = Object.fromEntries(Object.entries(usedNow).map(([k, v]) => [k, String(v)]));
  const exceeded: string[] = [];
  for (const [resource, delta] of Object.entries(usage)) {
    if (hard[resource] === undefined) continue;
    const before = parseQuantity(used[resource] ?? '0') ?? 0;
    const limit = parseQuantity(hard[resource] as string) ?? 0;
    if (before + delta > limit) exceeded.push(resource);
    used[resource] = formatQuantity(resource, before + delta);
  }
  if (exceeded.length > 0) {
    const pick = (source: Record<string, unknown>) => Object.fromEntries(exceeded.map((k) => [k, parseQuantity(String(source[k] ?? '0')) ?? 0]));
    return { refused: `exceeded quota: ${name}, requested: ${pretty(pick(usage))}, used: ${pretty(pick(usedNow))}, limited: ${pretty(pick(hard))}` };
  }
  return { used };
}
