/**
 * `pods/eviction` (policy/v1 Eviction) and the PodDisruptionBudget strategy, as upstream's
 * pkg/registry/core/pod/storage/eviction.go and pkg/registry/policy/poddisruptionbudget:
 * an eviction deletes the pod unless the one PDB selecting it has no disruption left (429
 * TooManyRequests, which `kubectl drain` retries), its status is stale (429 too), or more than
 * one PDB selects it (500). An allowed eviction first takes one disruption from the PDB (its
 * status, compare-and-swap, the pod recorded in disruptedPods) so concurrent evictions cannot
 * overspend it; the disruption controller then recomputes the status. Pods that are not
 * running (Pending, finished, being deleted) are evicted without asking the budget.
 */
import { nowTimestamp } from './objects.js';
import { parseLabelSelector } from './selectors.js';
import { findResource, type ResourceType } from './resources.js';
import { ApiError, apiErrors, type StatusCause } from './status.js';
import type { KubeObject } from './storage.js';
import { selectorString, type SubresourceRequest, type SubresourceResult } from './subresources.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const pdbType = () => findResource('policy', 'v1', 'poddisruptionbudgets') as ResourceType;
/** upstream's MaxDisruptedPodSize. */
const MAX_DISRUPTED_PODS = 2000;
const MAX_RETRIES = 8;

const tooManyRequests = (cause: string) =>
  new ApiError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', { causes: [{ reason: 'DisruptionBudget', message: cause }], retryAfterSeconds: 10 });

// ---- the PodDisruptionBudget strategy -----------------------------------------------------

/** A new PDB starts with an empty status (upstream's PrepareForCreate). */
export function createPodDisruptionBudget(pdb: KubeObject): void {
  pdb.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
}

function intOrPercentCauses(value: unknown, field: string): StatusCause[] {
  if (value === undefined || value === null) return [];
  const bad = (why: string): StatusCause[] => [{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` }];
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? [] : bad('must be greater than or equal to 0');
  const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  if (!percent) return bad('a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')');
  return Number(percent[1]) > 100 ? bad('must not be greater than 100%') : [];
}

export function validatePodDisruptionBudget(pdb: KubeObject): StatusCause[] {
  const spec = obj(pdb.spec);
  const causes = [...intOrPercentCauses(spec.minAvailable, 'spec.minAvailable'), ...intOrPercentCauses(spec.maxUnavailable, 'spec.maxUnavailable')];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) causes.push({ reason: 'FieldValueInvalid', field: 'spec', message: `Invalid value: ${JSON.stringify(spec)}: minAvailable and maxUnavailable cannot be both set` });
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
    causes.push({ reason: 'FieldValueNotSupported', field: 'spec.unhealthyPodEvictionPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "AlwaysAllow", "IfHealthyBudget"` });
  }
  return causes;
}

// ---- pods/eviction ------------------------------------------------------------------------

const podReady = (pod: KubeObject) => ((obj(pod.status).conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');

/** Pods the budget does not protect: not running yet, finished, or already going. */
function ignoresBudget(pod: KubeObject): boolean {
  const phase = obj(pod.status).phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || Boolean(pod.metadata?.deletionTimestamp);
}

/**
 * What the PDB says about evicting this pod now: 'delete' (without spending a disruption),
 * 'spend' (take one), or an error. Pure.
 */
export function evictionDecision(pdb: KubeObject, pod: KubeObject): 'delete' | 'spend' | ApiError {
  const status = obj(pdb.status);
  const name = String(pdb.metadata?.name ?? '');
  if (Number(status.observedGeneration ?? 0) < Number(pdb.metadata?.generation ?? 1)) return tooManyRequests(`The disruption budget ${name} is still being processed by the server.`);
  const allowed = Number(status.disruptionsAllowed ?? 0);
  const healthy = Number(status.currentHealthy ?? 0);
  const desired = Number(status.desiredHealthy ?? 0);
  if (!podReady(pod)) {
    // An unready pod costs no availability: upstream lets it go unless the budget is short.
    if (obj(pdb.spec).unhealthyPodEvictionPolicy === 'AlwaysAllow' || (healthy >= desired && desired > 0)) return 'delete';
  }
  if (allowed < 0) return new ApiError(403, 'Forbidden', 'pdb disruptions allowed is negative');
  if (Object.keys(obj(status.disruptedPods)).length > MAX_DISRUPTED_PODS) return new ApiError(403, 'Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (allowed === 0) return tooManyRequests(`The disruption budget ${name} needs ${desired} healthy pods and has ${healthy} currently`);
  return 'spend';
}

export async function evict(request: SubresourceRequest): Promise<SubresourceResult> {
  const { objects, type, namespace = '', name } = request;
  if (request.verb !== 'create') throw apiErrors.methodNotAllowed(request.verb);
  const eviction = obj(request.body);
  const evictionName = obj(eviction.metadata).name;
  if (evictionName !== undefined && evictionName !== name) throw apiErrors.badRequest('name in URL does not match name in Eviction object');
  const deleteOptions = obj(eviction.deleteOptions);
  const preconditions = obj(deleteOptions.preconditions) as { uid?: string; resourceVersion?: string };
  const grace = typeof deleteOptions.gracePeriodSeconds === 'number' ? deleteOptions.gracePeriodSeconds : undefined;
  const success: SubresourceResult = { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
  const remove = async () => {
    if (!request.dryRun) await objects.delete(type, namespace, name, { preconditions, ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) });
    return success;
  };
  for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
    const pod = await objects.get(type, namespace, name);
    if (ignoresBudget(pod)) return remove();
    const list = await objects.list(pdbType(), namespace, new URLSearchParams());
    // policy/v1: an empty selector selects every pod of the namespace.
    const budgets = (list.items as KubeObject[]).filter((pdb) => parseLabelSelector(selectorString(obj(pdb.spec).selector))(pod));
    if (budgets.length > 1) throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (budgets.length === 0) return remove();
    const pdb = budgets[0]!;
    const decision = evictionDecision(pdb, pod);
    if (decision instanceof ApiError) throw decision;
    if (decision === 'delete') return remove();
    if (request.dryRun) return success;
    try {
      await objects.guaranteedUpdate(pdbType(), namespace, String(pdb.metadata?.name), (current) => {
        if (current.metadata?.resourceVersion !== pdb.metadata?.resourceVersion) throw apiErrors.conflict('poddisruptionbudgets', 'policy', String(pdb.metadata?.name));
        const status = obj(current.status);
        return { ...current, status: { ...status, disruptionsAllowed: Number(status.disruptionsAllowed ?? 0) - 1, disruptedPods: { ...obj(status.disruptedPods), [name]: nowTimestamp() } } };
      });
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) continue; // another eviction spent it first: decide again
      throw err;
    }
    return remove();
  }
  throw tooManyRequests('too many conflicting evictions; try again');
}
