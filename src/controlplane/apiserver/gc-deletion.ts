/**
 * How a DELETE hands an object's dependents to the garbage collector (upstream's
 * deletionFinalizersForGarbageCollection in apiserver's registry store): propagationPolicy
 * Orphan (or orphanDependents: true) adds the `orphan` finalizer, Foreground adds
 * `foregroundDeletion`, Background removes both; without either, the object keeps the
 * finalizers it has (every served kind defaults to Background). Pure.
 */
import { ApiError } from './status.js';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
const POLICIES = ['Foreground', 'Background', 'Orphan'] as const;
export type PropagationPolicy = (typeof POLICIES)[number];

const invalid = (field: string, message: string) =>
  new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, { kind: 'DeleteOptions', group: 'meta.k8s.io', causes: [{ reason: 'FieldValueInvalid', field, message }] });

/** The policy a request asks for (body first, then the query), or undefined; 422 for a bad one. */
export function requestedPropagation(body: { propagationPolicy?: unknown; orphanDependents?: unknown }, query: URLSearchParams): PropagationPolicy | undefined {
  const policy = body.propagationPolicy ?? query.get('propagationPolicy') ?? undefined;
  const orphanText = query.get('orphanDependents');
  const orphan = body.orphanDependents ?? (orphanText === null ? undefined : orphanText === 'true');
  if (policy !== undefined && orphan !== undefined) throw invalid('orphanDependents', 'Invalid value: "orphanDependents": orphanDependents and deletionPropagation cannot be both set');
  if (policy !== undefined && !POLICIES.includes(policy as PropagationPolicy)) {
    throw invalid('propagationPolicy', `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  if (orphan !== undefined) return orphan ? 'Orphan' : 'Background';
  return policy as PropagationPolicy | undefined;
}

/** The object's finalizers after a delete with this policy. */
export function finalizersForPropagation(finalizers: readonly string[], policy: PropagationPolicy | undefined): string[] {
  if (!policy) return [...finalizers];
  const others = finalizers.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (policy === 'Orphan') return [...others, ORPHAN_FINALIZER];
  if (policy === 'Foreground') return [...others, FOREGROUND_FINALIZER];
  return others;
}
