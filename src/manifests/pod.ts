/**
 * The subset of core/v1 Pod that kubeadm's static pods use, and the builders for its parts
 * (kubeadm's util/staticpod): probes, hostPath volumes and mounts, resources, env.
 * Optional fields are left out when kubeadm's serialiser would omit them (Go `omitempty`).
 */
import type { EnvVar, HostPathMount } from '../config/types.js';
import { compareStrings } from './args.js';

export type StaticPodComponent = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export interface HTTPGetAction {
  host?: string;
  path: string;
  port: number;
  scheme: 'HTTP' | 'HTTPS';
}

export interface Probe {
  failureThreshold: number;
  httpGet: HTTPGetAction;
  initialDelaySeconds?: number;
  periodSeconds: number;
  timeoutSeconds: number;
}

export interface VolumeMount {
  mountPath: string;
  name: string;
  readOnly?: boolean;
}

export interface Volume {
  hostPath: { path: string; type?: string };
  name: string;
}

export interface Container {
  command: string[];
  env?: EnvVar[];
  image: string;
  imagePullPolicy: string;
  livenessProbe: Probe;
  name: string;
  readinessProbe?: Probe;
  resources: { requests: Record<string, string> };
  startupProbe: Probe;
  volumeMounts: VolumeMount[];
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: {
    annotations?: Record<string, string>;
    creationTimestamp: null;
    labels: Record<string, string>;
    name: string;
    namespace: string;
  };
  spec: {
    containers: Container[];
    hostNetwork: boolean;
    priority: number;
    priorityClassName: string;
    securityContext: { seccompProfile: { type: string } };
    volumes: Volume[];
  };
  status: Record<string, never>;
}

export interface ProbeTarget {
  host: string;
  port: number;
  scheme: 'HTTP' | 'HTTPS';
}

/** Where a component is probed: liveness, readiness (optional) and startup paths on one endpoint. */
export interface ProbePlan extends ProbeTarget {
  livenessPath: string;
  readinessPath?: string;
  startupPath: string;
}

/** Liveness, readiness and startup probes with kubeadm's timings (staticpod.LivenessProbe & co.). */
export function componentProbes(plan: ProbePlan, healthCheckTimeoutSeconds: number): Pick<Container, 'livenessProbe' | 'readinessProbe' | 'startupProbe'> {
  const period = 10;
  return {
    livenessProbe: httpProbe(plan, plan.livenessPath, { initialDelaySeconds: 10, timeoutSeconds: 15, failureThreshold: 8, periodSeconds: 10 }),
    ...(plan.readinessPath === undefined
      ? {}
      : { readinessProbe: httpProbe(plan, plan.readinessPath, { initialDelaySeconds: 0, timeoutSeconds: 15, failureThreshold: 3, periodSeconds: 1 }) }),
    // failureThreshold covers the whole control-plane health-check timeout.
    startupProbe: httpProbe(plan, plan.startupPath, {
      initialDelaySeconds: period,
      timeoutSeconds: 15,
      failureThreshold: Math.ceil(healthCheckTimeoutSeconds / period),
      periodSeconds: period,
    }),
  };
}

interface ProbeTimings {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  periodSeconds: number;
}

function httpProbe(target: ProbeTarget, path: string, t: ProbeTimings): Probe {
  const httpGet: HTTPGetAction = { ...(target.host === '' ? {} : { host: target.host }), path, port: target.port, scheme: target.scheme };
  return {
    failureThreshold: t.failureThreshold,
    httpGet,
    ...(t.initialDelaySeconds === 0 ? {} : { initialDelaySeconds: t.initialDelaySeconds }),
    periodSeconds: t.periodSeconds,
    timeoutSeconds: t.timeoutSeconds,
  };
}

/**
 * kubeadm's getProbeAddress: an unspecified bind address cannot be probed, so the host is left
 * empty and the kubelet probes the pod IP.
 */
export function probeAddress(bindAddress: string): string {
  return bindAddress === '0.0.0.0' || bindAddress === '::' ? '' : bindAddress;
}

/** Volumes for a component's hostPath mounts, sorted by name (staticpod.VolumeMapToSlice). */
export function volumesOf(mounts: readonly HostPathMount[]): Volume[] {
  return [...mounts]
    .sort((a, b) => compareStrings(a.name, b.name))
    .map((m) => ({ hostPath: { path: m.hostPath, ...(m.pathType === '' ? {} : { type: m.pathType }) }, name: m.name }));
}

export function volumeMountsOf(mounts: readonly HostPathMount[]): VolumeMount[] {
  return mounts.map((m) => ({ mountPath: m.mountPath, name: m.name, ...(m.readOnly ? { readOnly: true } : {}) }));
}

/**
 * kubeadm's hostPath mount map for one component: later mounts (the user's extraVolumes) replace
 * earlier ones of the same name; the result is sorted by name (staticpod.VolumeMountMapToSlice).
 */
export function mergeMounts(defaults: readonly HostPathMount[], extra: readonly HostPathMount[]): HostPathMount[] {
  const byName = new Map<string, HostPathMount>();
  for (const mount of [...defaults, ...extra]) byName.set(mount.name, mount);
  return [...byName.values()].sort((a, b) => compareStrings(a.name, b.name));
}

/** kubeadm's MergeKubeadmEnvVars: later lists win per name; sorted by name. */
export function mergeEnv(...lists: readonly (readonly EnvVar[])[]): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const list of lists) for (const env of list) byName.set(env.name, { name: env.name, value: env.value });
  return [...byName.values()].sort((a, b) => compareStrings(a.name, b.name));
}

/** kubeadm's GetProxyEnvVars over a given environment: every non-empty `*_proxy` variable. */
export function proxyEnvVars(env: Readonly<Record<string, string | undefined>>): EnvVar[] {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[0].toLowerCase().endsWith('_proxy') && typeof entry[1] === 'string' && entry[1] !== '')
    .map(([name, value]) => ({ name, value }));
}

