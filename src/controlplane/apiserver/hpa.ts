/**
 * HorizontalPodAutoscaler, served as autoscaling/v2 (stored) and autoscaling/v1: upstream's
 * v2 defaults (minReplicas 1, a CPU target of 80% when no metric is given), the v1 ↔ v2
 * conversion (v1's targetCPUUtilizationPercentage is v2's CPU Utilization metric; what v1 cannot
 * say rides in the autoscaling.alpha.kubernetes.io annotations, as upstream does), validation of
 * the main fields and printer columns. Pure.
 */
import { type KindSpec, type Obj, atLeast, child, invalid, list, obj, required, spec } from './kind-spec.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

const V1 = 'autoscaling/v1';
const V2 = 'autoscaling/v2';
/** v2 fields that v1 keeps in annotations. */
const CARRIED = { metrics: 'autoscaling.alpha.kubernetes.io/metrics', behavior: 'autoscaling.alpha.kubernetes.io/behavior', conditions: 'autoscaling.alpha.kubernetes.io/conditions', currentMetrics: 'autoscaling.alpha.kubernetes.io/current-metrics' } as const;

const isCpuUtilization = (m: Obj) => m.type === 'Resource' && obj(m.resource).name === 'cpu' && obj(obj(m.resource).target).type === 'Utilization';

function defaultV2(hpa: KubeObject): void {
  const s = child(hpa, 'spec');
  s.minReplicas ??= 1;
  if (list(s.metrics).length === 0) s.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  try {
    return annotations[key] === undefined ? undefined : JSON.parse(annotations[key]);
  } catch {
    return undefined;
  }
}

/** An autoscaling/v1 object as autoscaling/v2. */
export function hpaToV2(hpa: KubeObject): KubeObject {
  const annotations = { ...(hpa.metadata?.annotations ?? {}) };
  const carried = Object.fromEntries(Object.entries(CARRIED).map(([field, key]) => [field, parseAnnotation(annotations, key)]));
  for (const key of Object.values(CARRIED)) delete annotations[key];
  const { targetCPUUtilizationPercentage: target, ...specRest } = spec(hpa);
  const { currentCPUUtilizationPercentage: current, ...statusRest } = obj(hpa.status);
  const cpu = typeof target === 'number' ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }] : [];
  const metrics = [...cpu, ...list(carried.metrics)];
  const currentCpu = typeof current === 'number' ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }] : [];
  const currentMetrics = [...currentCpu, ...list(carried.currentMetrics)];
  const next: KubeObject = {
    ...hpa,
    apiVersion: V2,
    metadata: { ...hpa.metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : { annotations: undefined }) },
    spec: { ...specRest, ...(metrics.length > 0 ? { metrics } : {}), ...(carried.behavior ? { behavior: carried.behavior } : {}) },
    ...(hpa.status !== undefined ? { status: { ...statusRest, ...(currentMetrics.length > 0 ? { currentMetrics } : {}), ...(carried.conditions ? { conditions: carried.conditions } : {}) } } : {}),
  };
  if (next.metadata?.annotations === undefined) delete next.metadata?.annotations;
  defaultV2(next);
  return next;
}

/** An autoscaling/v2 object as autoscaling/v1. */
export function hpaToV1(hpa: KubeObject): KubeObject {
  const { metrics, behavior, ...specRest } = spec(hpa);
  const { currentMetrics, conditions, ...statusRest } = obj(hpa.status);
  const cpu = list(metrics).find(isCpuUtilization);
  const others = list(metrics).filter((m) => m !== cpu);
  const currentCpu = list(currentMetrics).find((m) => m.type === 'Resource' && obj(m.resource).name === 'cpu');
  const annotations: Record<string, string> = { ...(hpa.metadata?.annotations ?? {}) };
  const carry = (key: string, value: unknown, keep: boolean) => {
    if (keep) annotations[key] = JSON.stringify(value);
  };
  carry(CARRIED.metrics, others, others.length > 0);
  carry(CARRIED.behavior, behavior, behavior !== undefined);
  carry(CARRIED.conditions, conditions, list(conditions).length > 0);
  carry(CARRIED.currentMetrics, list(currentMetrics).filter((m) => m !== currentCpu), list(currentMetrics).some((m) => m !== currentCpu));
  const currentUtilization = obj(obj(currentCpu?.resource).current).averageUtilization;
  return {
    ...hpa,
    apiVersion: V1,
    metadata: { ...hpa.metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: { ...specRest, ...(cpu ? { targetCPUUtilizationPercentage: obj(obj(cpu.resource).target).averageUtilization } : {}) },
    ...(hpa.status !== undefined ? { status: { ...statusRest, ...(typeof currentUtilization === 'number' ? { currentCPUUtilizationPercentage: currentUtilization } : {}) } } : {}),
  };
}

/** The object in `apiVersion` (autoscaling/v1 or v2), whichever version it is in. */
export function hpaAs(hpa: KubeObject, apiVersion: string): KubeObject {
  if (hpa.apiVersion === apiVersion) return hpa;
  return apiVersion === V1 ? hpaToV1(hpa) : hpaToV2(hpa);
}

function validateHpa(hpa: KubeObject): StatusCause[] {
  const s = spec(hpa);
  const ref = obj(s.scaleTargetRef);
  const causes: StatusCause[] = [];
  if (!ref.kind) causes.push(required('spec.scaleTargetRef.kind'));
  if (!ref.name) causes.push(required('spec.scaleTargetRef.name'));
  causes.push(...atLeast('spec.minReplicas', s.minReplicas, 1), ...atLeast('spec.maxReplicas', s.maxReplicas, 1));
  if (s.maxReplicas === undefined) causes.push(required('spec.maxReplicas'));
  if (typeof s.maxReplicas === 'number' && typeof s.minReplicas === 'number' && s.maxReplicas < s.minReplicas) causes.push(invalid('spec.maxReplicas', s.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  causes.push(...atLeast('spec.targetCPUUtilizationPercentage', s.targetCPUUtilizationPercentage, 1));
  return causes;
}

/** kubectl's TARGETS: `cpu: <unknown>/80%`, at most four, then `+ N more...`. */
function targets(o: KubeObject): string {
  const current = list(obj(o.status).currentMetrics);
  const shown = list(spec(o).metrics).map((m) => {
    const resource = obj(m[String(m.type).replace(/^./, (c) => c.toLowerCase())] ?? m.resource);
    const target = obj(resource.target);
    const now = obj(obj(current.find((c) => c.type === m.type && obj(c.resource).name === resource.name)?.resource).current);
    const name = m.type === 'Resource' || m.type === 'ContainerResource' ? `${String(resource.name)}: ` : '';
    if (target.type === 'Utilization') return `${name}${now.averageUtilization === undefined ? '<unknown>' : `${String(now.averageUtilization)}%`}/${String(target.averageUtilization)}%`;
    const want = target.averageValue ?? target.value;
    return `${name}${now.averageValue === undefined && now.value === undefined ? '<unknown>' : String(now.averageValue ?? now.value)}/${String(want)}${target.averageValue !== undefined && m.type !== 'Resource' ? ' (avg)' : ''}`;
  });
  if (shown.length === 0) return '<none>';
  return shown.length > 4 ? `${shown.slice(0, 4).join(', ')} + ${shown.length - 4} more...` : shown.join(', ');
}

export const HPA_KIND: Readonly<Record<string, KindSpec>> = {
  HorizontalPodAutoscaler: {
    write: (hpa) => {
      if (hpa.apiVersion === V2) defaultV2(hpa);
      else child(hpa, 'spec').minReplicas ??= 1;
    },
    validate: validateHpa,
    table: [
      'name',
      { name: 'Reference', cell: (o) => `${String(obj(spec(o).scaleTargetRef).kind ?? '')}/${String(obj(spec(o).scaleTargetRef).name ?? '')}` },
      { name: 'Targets', cell: (o) => (o.apiVersion === V1 ? targets(hpaToV2(o)) : targets(o)) },
      { name: 'MinPods', cell: (o) => String(spec(o).minReplicas ?? '<unset>') },
      { name: 'MaxPods', type: 'integer', cell: (o) => Number(spec(o).maxReplicas ?? 0) },
      { name: 'Replicas', type: 'integer', cell: (o) => Number(obj(o.status).currentReplicas ?? 0) },
      'age',
    ],
  },
};
