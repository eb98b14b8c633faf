/**
 * The CRI request bodies for a pod, as the kubelet's kuberuntime builds them: the sandbox config
 * (metadata, hostname, log directory, DNS, port mappings, labels, namespaces) and each
 * container's config (image, command/args, env, mounts, working dir, log path, resources,
 * security context). Pure: the pod and what was resolved for it in, plain messages out.
 */
import type { Container, Pod } from '../pod.js';
import { parseQuantity } from '../../kube/quantity.js';
import { podHostname } from './etc-hosts.js';

/** Labels the kubelet puts on sandboxes and containers; the runner finds its pods by them. */
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
/** The pod object a sandbox was made for, so a restarted agent knows what it holds. */
export const POD_ANNOTATION = 'kubeforge.io/pod';

export interface CriMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
}

export interface ResolvedContainer {
  env: { key: string; value: string }[];
  mounts: CriMount[];
  /** command and args with $(VAR) references expanded from the environment. */
  command: string[];
  args: string[];
}

export interface SandboxInput {
  pod: Pod;
  /** Real path of /var/log/pods/<ns>_<name>_<uid>. */
  logDirectory: string;
  dns?: { servers: string[]; searches: string[]; options: string[] };
  /** The sandbox attempt (a new one after a failed or dead sandbox, as the kubelet numbers them). */
  attempt?: number;
}

type Message = Record<string, unknown>;

/** `/var/log/pods/<namespace>_<name>_<uid>`, the kubelet's pod log directory. */
export function podLogDirectory(pod: Pod): string {
  return `/var/log/pods/${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`;
}

function podLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [POD_UID_LABEL]: pod.metadata.uid,
    [POD_NAME_LABEL]: pod.metadata.name,
    [POD_NAMESPACE_LABEL]: pod.metadata.namespace,
  };
}

const PROTOCOLS: Record<string, string> = { TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP' };

export function sandboxConfig({ pod, logDirectory, dns, attempt = 0 }: SandboxInput): Message {
  const spec = pod.spec;
  const hostNetwork = spec.hostNetwork === true;
  const ports = spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => (p as { hostPort?: number }).hostPort));
  return {
    metadata: { name: pod.metadata.name, uid: pod.metadata.uid, namespace: pod.metadata.namespace, attempt },
    hostname: hostNetwork ? '' : podHostname(pod),
    logDirectory,
    ...(dns ? { dnsConfig: dns } : {}),
    portMappings: ports.map((p) => ({
      protocol: PROTOCOLS[p.protocol ?? 'TCP'] ?? 'TCP',
      containerPort: p.containerPort,
      hostPort: (p as { hostPort?: number }).hostPort,
      hostIp: (p as { hostIP?: string }).hostIP ?? '',
    })),
    labels: podLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}), [POD_ANNOTATION]: JSON.stringify(pod) },
    linux: {
      securityContext: {
        namespaceOptions: { network: hostNetwork ? 'NODE' : 'POD', pid: spec.hostPID === true ? 'NODE' : 'CONTAINER', ipc: spec.hostIPC === true ? 'NODE' : 'POD' },
        privileged: spec.containers.some((c) => securityContext(c).privileged === true),
      },
    },
  };
}

interface SecurityContext {
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

function securityContext(c: Container): SecurityContext {
  return ((c as { securityContext?: SecurityContext }).securityContext ?? {}) as SecurityContext;
}

/** CPU shares, quota and the memory limit from resources, as the kubelet computes them (cgroup v1 numbers). */
export function linuxResources(c: Container): Message {
  const resources = (c as { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }).resources ?? {};
  const cpuRequest = parseQuantity(resources.requests?.cpu ?? resources.limits?.cpu);
  const cpuLimit = parseQuantity(resources.limits?.cpu);
  const memoryLimit = parseQuantity(resources.limits?.memory);
  const out: Message = { cpuShares: cpuRequest ? Math.max(2, Math.round(cpuRequest * 1024)) : 2 };
  if (cpuLimit) Object.assign(out, { cpuPeriod: 100_000, cpuQuota: Math.max(1000, Math.round(cpuLimit * 100_000)) });
  if (memoryLimit) out.memoryLimitInBytes = Math.round(memoryLimit);
  return out;
}

export function containerConfig(pod: Pod, c: Container, attempt: number, resolved: ResolvedContainer, podSecurity: { runAsUser?: number; runAsGroup?: number } = {}): Message {
  const sc = securityContext(c);
  const runAsUser = sc.runAsUser ?? podSecurity.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSecurity.runAsGroup;
  const extra = c as { stdin?: boolean; stdinOnce?: boolean; tty?: boolean };
  return {
    metadata: { name: c.name, attempt },
    image: { image: c.image },
    command: resolved.command,
    args: resolved.args,
    workingDir: c.workingDir ?? '',
    envs: resolved.env,
    mounts: resolved.mounts,
    labels: { [POD_UID_LABEL]: pod.metadata.uid, [POD_NAME_LABEL]: pod.metadata.name, [POD_NAMESPACE_LABEL]: pod.metadata.namespace, [CONTAINER_NAME_LABEL]: c.name },
    annotations: { 'io.kubernetes.container.restartCount': String(attempt) },
    logPath: `${c.name}/${attempt}.log`,
    stdin: extra.stdin === true,
    stdinOnce: extra.stdinOnce === true,
    tty: extra.tty === true,
    linux: {
      resources: linuxResources(c),
      securityContext: {
        privileged: sc.privileged === true,
        readonlyRootfs: sc.readOnlyRootFilesystem === true,
        ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
        ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
        ...(sc.capabilities ? { capabilities: { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] } } : {}),
        namespaceOptions: { network: pod.spec.hostNetwork === true ? 'NODE' : 'POD', pid: pod.spec.hostPID === true ? 'NODE' : 'CONTAINER', ipc: pod.spec.hostIPC === true ? 'NODE' : 'POD' },
      },
    },
  };
}
