/**
 * apps/v1 defaults, as upstream's pkg/apis/apps/v1/defaults.go sets them on every decode:
 * replicas 1, revisionHistoryLimit 10, the update strategies (Deployment RollingUpdate
 * 25%/25% and progressDeadlineSeconds 600; DaemonSet RollingUpdate maxUnavailable 1,
 * maxSurge 0; StatefulSet OrderedReady, RollingUpdate partition 0, PVC retention Retain).
 */
import type { KubeObject } from './storage.js';

type Obj = Record<string, unknown>;
/** The object at parent[field], created empty when absent. */
export const child = (parent: Obj, field: string): Obj => {
  const value = parent[field];
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Obj;
  const created: Obj = {};
  parent[field] = created;
  return created;
};
const specOf = (object: KubeObject) => child(object as Obj, 'spec');

/** A strategy (type RollingUpdate when unset) whose rollingUpdate gets `fields`; with fillRollingUpdate false, only when the type was unset or rollingUpdate was sent. */
function defaultStrategy(spec: Obj, field: string, fields: Obj, fillRollingUpdate = true): void {
  const strategy = child(spec, field);
  const typeWasEmpty = !strategy.type;
  strategy.type ??= 'RollingUpdate';
  if (strategy.type !== 'RollingUpdate') return;
  if (!fillRollingUpdate && !typeWasEmpty && strategy.rollingUpdate === undefined) return;
  const rollingUpdate = child(strategy, 'rollingUpdate');
  for (const [k, v] of Object.entries(fields)) rollingUpdate[k] ??= v;
}

function defaultReplicasAndHistory(spec: Obj, history = true): void {
  spec.replicas ??= 1;
  if (history) spec.revisionHistoryLimit ??= 10;
}

export function defaultDeployment(object: KubeObject): void {
  const spec = specOf(object);
  defaultReplicasAndHistory(spec);
  defaultStrategy(spec, 'strategy', { maxUnavailable: '25%', maxSurge: '25%' });
  spec.progressDeadlineSeconds ??= 600;
}

export function defaultReplicaSet(object: KubeObject): void {
  defaultReplicasAndHistory(specOf(object), false);
}

export function defaultDaemonSet(object: KubeObject): void {
  const spec = specOf(object);
  spec.revisionHistoryLimit ??= 10;
  defaultStrategy(spec, 'updateStrategy', { maxUnavailable: 1, maxSurge: 0 });
}

export function defaultStatefulSet(object: KubeObject): void {
  const spec = specOf(object);
  defaultReplicasAndHistory(spec);
  spec.podManagementPolicy ??= 'OrderedReady';
  // Upstream creates rollingUpdate only when it also filled in the type.
  defaultStrategy(spec, 'updateStrategy', { partition: 0 }, false);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  retention.whenDeleted ??= 'Retain';
  retention.whenScaled ??= 'Retain';
}
