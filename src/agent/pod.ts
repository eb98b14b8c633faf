/**
 * The slice of the v1 Pod API the agent understands, and the parsing of a static-pod manifest
 * into it. Parsing is strict about what the agent needs (a named pod with named containers and an
 * image) and tolerant of everything else, like the kubelet's file source.
 */
import { createHash } from 'node:crypto';
import { loadYaml } from '../safe-yaml.js';

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: HTTPHeader[];
}

export interface Probe {
  httpGet?: HTTPGetAction;
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  [other: string]: unknown;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  workingDir?: string;
  ports?: ContainerPort[];
  volumeMounts?: VolumeMount[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: LifecycleHandler; postStart?: LifecycleHandler };
}

/** A container lifecycle hook's action (exactly one is set). */
export interface LifecycleHandler {
  exec?: { command: string[] };
  httpGet?: HTTPGetAction;
  sleep?: { seconds: number };
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: Container[];
  /** Run one after the other, each to success, before the containers start. */
  initContainers?: Container[];
  volumes?: Volume[];
  hostNetwork?: boolean;
  restartPolicy?: RestartPolicy;
  terminationGracePeriodSeconds?: number;
  priorityClassName?: string;
  [other: string]: unknown;
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

/** A static pod as read from one manifest file. */
export interface StaticPod {
  pod: Pod;
  /** The manifest file's logical path. */
  source: string;
  /** Hash of the pod spec: a different hash means the running pod must be replaced. */
  specHash: string;
}

export type ParseResult = { ok: true; pod: StaticPod } | { ok: false; reason: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted, so a hash does not depend on key order in the YAML. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The static pod's uid, computed as the kubelet does for file sources (pkg/kubelet/config/common.go):
 * md5 over `host:<node>`, `file:<path>` and the pod object. The kubelet hashes the Go struct; we
 * hash its canonical JSON, so the uid is stable across agent restarts and changes with the manifest.
 */
export function staticPodUid(nodeName: string, source: string, podObject: unknown): string {
  return createHash('md5').update(`host:${nodeName}`).update(`file:${source}`).update(canonicalJson(podObject)).digest('hex');
}

export function podSpecHash(spec: PodSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

function containerProblems(c: unknown, index: number): string[] {
  if (!isRecord(c)) return [`spec.containers[${index}] is not an object`];
  const problems: string[] = [];
  const where = `spec.containers[${index}]`;
  if (typeof c.name !== 'string' || !DNS_LABEL.test(c.name)) problems.push(`${where}.name must be a DNS label`);
  if (typeof c.image !== 'string' || c.image === '') problems.push(`${where}.image is required`);
  for (const field of ['command', 'args'] as const) {
    const v = c[field];
    if (v !== undefined && (!Array.isArray(v) || v.some((a) => typeof a !== 'string'))) problems.push(`${where}.${field} must be a list of strings`);
  }
  if ((c.command === undefined || (c.command as unknown[]).length === 0) && c.args === undefined) {
    problems.push(`${where}: command is required (the agent has no image entrypoints)`);
  }
  return problems;
}

/** Every reason the object is not a runnable v1 Pod (empty when it is one). */
export function podProblems(doc: unknown): string[] {
  if (!isRecord(doc)) return ['the manifest is not a YAML object'];
  const problems: string[] = [];
  if (doc.apiVersion !== 'v1' || doc.kind !== 'Pod') problems.push(`expected apiVersion v1, kind Pod; got ${String(doc.apiVersion)}, ${String(doc.kind)}`);
  const meta = doc.metadata;
  if (!isRecord(meta) || typeof meta.name !== 'string' || !DNS_SUBDOMAIN.test(meta.name)) problems.push('metadata.name must be a DNS subdomain');
  if (isRecord(meta) && meta.namespace !== undefined && (typeof meta.namespace !== 'string' || !DNS_LABEL.test(meta.namespace))) problems.push('metadata.namespace must be a DNS label');
  const spec = doc.spec;
  if (!isRecord(spec) || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    problems.push('spec.containers must list at least one container');
  } else {
    spec.containers.forEach((c, i) => problems.push(...containerProblems(c, i)));
    const names = spec.containers.map((c) => (isRecord(c) ? c.name : undefined));
    if (new Set(names).size !== names.length) problems.push('container names must be unique');
  }
  if (isRecord(spec) && spec.volumes !== undefined && !Array.isArray(spec.volumes)) problems.push('spec.volumes must be a list');
  return problems;
}

/**
 * Parses one manifest file. Static pods get the node name appended to their name (as the
 * kubelet does for their mirror pods), the `default` namespace when none is set, and a uid.
 */
export function parseStaticPod(text: string, source: string, nodeName: string): ParseResult {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    return { ok: false, reason: `invalid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  const problems = podProblems(doc);
  if (problems.length > 0) return { ok: false, reason: `invalid pod: ${problems.join('; ')}` };
  const raw = doc as Record<string, unknown> & { metadata: Record<string, unknown>; spec: PodSpec };
  const uid = staticPodUid(nodeName, source, raw);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(raw.metadata as Pod['metadata']),
      name: `${String(raw.metadata.name)}-${nodeName}`,
      namespace: typeof raw.metadata.namespace === 'string' ? raw.metadata.namespace : 'default',
      uid,
    },
    spec: raw.spec,
  };
  return { ok: true, pod: { pod, source, specHash: podSpecHash(raw.spec) } };
}

/** `<namespace>/<name>`: how logs and status name a pod. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}
