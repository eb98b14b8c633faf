/**
 * The Node and the node Lease the agent posts, as the kubelet builds them (pkg/kubelet/
 * kubelet_node_status.go, nodestatus/setters.go, nodelease): labels, addresses, capacity,
 * nodeInfo, the four conditions and the kubelet endpoint; the Lease in kube-node-lease owned by
 * the Node. Pure: facts and the clock in, objects out.
 */
import type { KubeObject } from '../kube/index.js';
import { milliCPU, parseQuantity } from '../kube/quantity.js';

export const KUBELET_VERSION = 'v1.32.0';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The kubelet's default evictionHard memory.available threshold, held back from allocatable. */
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
const MAX_PODS = 110;

/** What the agent knows about its machine and itself. */
export interface NodeFacts {
  nodeName: string;
  nodeIP: string;
  hostname: string;
  cpuCount: number;
  memoryBytes: number;
  osImage: string;
  kernelVersion: string;
  /** GOARCH spelling: amd64, arm64, … */
  architecture: string;
  containerRuntimeVersion: string;
  kubeletPort: number;
  /** The CRI endpoint, recorded as kubeadm does in the kubeadm.alpha.kubernetes.io/cri-socket annotation. */
  criSocket?: string;
  /** The KubeletConfiguration's kubeReserved, systemReserved and evictionHard (allocatable = capacity − all of them). */
  reservations?: KubeletReservations;
}

/** The KubeletConfiguration fields that hold resources back from allocatable. */
export interface KubeletReservations {
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
}

/** A hard eviction threshold on `total`: a quantity or a percentage of it. */
function threshold(value: string | undefined, total: number): number {
  if (!value) return 0;
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  return percent ? Math.floor((Number(percent[1]) / 100) * total) : (parseQuantity(value) ?? 0);
}

/**
 * The kubelet's allocatable (pkg/kubelet/cm/node_container_manager GetNodeAllocatableAbsolute):
 * capacity minus kubeReserved and systemReserved, and for memory also the memory.available hard
 * eviction threshold (100Mi when evictionHard is not set at all, as the kubelet's default).
 */
export function allocatableOf(facts: Pick<NodeFacts, 'cpuCount' | 'memoryBytes' | 'reservations'>): { cpuMilli: number; memoryBytes: number } {
  const r = facts.reservations ?? {};
  const reserved = (resource: string, parse: (q: string | undefined) => number) => parse(r.kubeReserved?.[resource]) + parse(r.systemReserved?.[resource]);
  const bytes = (q: string | undefined) => parseQuantity(q) ?? 0;
  const eviction = r.evictionHard ? threshold(r.evictionHard['memory.available'], facts.memoryBytes) : EVICTION_MEMORY_BYTES;
  return {
    cpuMilli: Math.max(0, facts.cpuCount * 1000 - reserved('cpu', milliCPU)),
    memoryBytes: Math.max(0, facts.memoryBytes - reserved('memory', bytes) - eviction),
  };
}

/** CPU as resource.Quantity prints it: whole cores, or millicores. */
const cpuQuantity = (milli: number) => (milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`);

export const CRI_SOCKET_ANNOTATION = 'kubeadm.alpha.kubernetes.io/cri-socket';

export interface NodeCondition {
  type: 'Ready' | 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** An image on the node as Node.status.images lists it. */
export interface ContainerImage {
  names: string[];
  sizeBytes: number;
}

/** An image as the runtime lists it (CRI ListImages). */
export interface RuntimeImage {
  repoTags?: string[];
  repoDigests?: string[];
  size: number;
}

/** The kubelet's nodeStatusMaxImages and MaxNamesPerImageInNodeStatus. */
const MAX_IMAGES = 50;
const MAX_NAMES_PER_IMAGE = 5;

/**
 * Node.status.images as the kubelet's Images setter makes it: the largest images first, at most
 * 50, each named by its digests then its tags, at most 5 names.
 */
export function nodeImages(images: RuntimeImage[]): ContainerImage[] {
  return [...images]
    .sort((a, b) => b.size - a.size)
    .slice(0, MAX_IMAGES)
    .map((image) => ({ names: [...(image.repoDigests ?? []), ...(image.repoTags ?? [])].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: image.size }));
}

export interface NodeStatus {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  conditions: NodeCondition[];
  addresses: { type: 'InternalIP' | 'Hostname'; address: string }[];
  daemonEndpoints: { kubeletEndpoint: { Port: number } };
  nodeInfo: Record<string, string>;
  /** What the container runtime holds; absent without one. */
  images?: ContainerImage[];
}

export interface NodeObject extends KubeObject {
  apiVersion: 'v1';
  kind: 'Node';
  spec: Record<string, unknown>;
  status: NodeStatus;
}

/** Node.js's process.arch in GOARCH spelling. */
export function goArch(arch: string): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

/** The kubelet's labels on its own Node (the others, like node-role, are set by init). */
export function nodeLabels(facts: NodeFacts): Record<string, string> {
  return {
    'kubernetes.io/arch': facts.architecture,
    'kubernetes.io/hostname': facts.nodeName,
    'kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': facts.architecture,
    'beta.kubernetes.io/os': 'linux',
  };
}

/** Rounded down to whole Ki, as resource.Quantity prints memory. */
const kibibytes = (bytes: number) => `${Math.max(0, Math.floor(bytes / 1024))}Ki`;

/** Condition rows: type, healthy status, and the reason/message for that status. */
const CONDITIONS: ReadonlyArray<Pick<NodeCondition, 'type' | 'status' | 'reason' | 'message'>> = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

/**
 * The node status at `now`. `ready` false turns Ready into False (KubeletNotReady, with the
 * reason given). A condition keeps its lastTransitionTime from `previous` while its status holds.
 */
export function nodeStatus(facts: NodeFacts, now: string, ready: { ok: boolean; message?: string }, previous: NodeCondition[] = [], images?: ContainerImage[]): NodeStatus {
  const allocatable = allocatableOf(facts);
  const conditions = CONDITIONS.map((row) => {
    const current =
      row.type === 'Ready' && !ready.ok ? { ...row, status: 'False' as const, reason: 'KubeletNotReady', message: ready.message ?? 'the agent is not ready' } : row;
    const before = previous.find((p) => p.type === row.type);
    return {
      ...current,
      lastHeartbeatTime: now,
      lastTransitionTime: before && before.status === current.status ? before.lastTransitionTime : now,
    };
  });
  return {
    capacity: { cpu: String(facts.cpuCount), memory: kibibytes(facts.memoryBytes), pods: String(MAX_PODS) },
    allocatable: { cpu: cpuQuantity(allocatable.cpuMilli), memory: kibibytes(allocatable.memoryBytes), pods: String(MAX_PODS) },
    conditions,
    addresses: [
      { type: 'InternalIP', address: facts.nodeIP },
      { type: 'Hostname', address: facts.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: facts.kubeletPort } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: facts.containerRuntimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: facts.architecture,
    },
    ...(images ? { images } : {}),
  };
}

/** The Node the agent registers (kubelet's initialNode). */
export function nodeObject(facts: NodeFacts, now: string, ready: { ok: boolean; message?: string }): NodeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: facts.nodeName,
      labels: nodeLabels(facts),
      annotations: { ...(facts.criSocket ? { [CRI_SOCKET_ANNOTATION]: facts.criSocket } : {}), 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
    status: nodeStatus(facts, now, ready),
  };
}

/** The status without heartbeat times: a change here is worth posting before the report interval. */
export function statusFingerprint(status: NodeStatus): string {
  return JSON.stringify({ ...status, conditions: status.conditions.map(({ lastHeartbeatTime: _h, ...rest }) => rest) });
}

/** metav1.Time: RFC 3339 in whole seconds, as the API serializes condition times. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface LeaseObject extends KubeObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
}

/** The node's heartbeat Lease, owned by its Node so it goes when the Node goes. */
export function nodeLease(nodeName: string, nodeUid: string | undefined, durationSeconds: number, now: Date): LeaseObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] } : {}),
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
}

/** PRETTY_NAME from an os-release file (the kubelet's osImage), or a plain fallback. */
export function osImageFrom(osRelease: string | undefined): string {
  const line = osRelease?.split('\n').find((l) => l.startsWith('PRETTY_NAME='));
  return line ? line.slice('PRETTY_NAME='.length).replace(/^"(.*)"$/, '$1') : 'Linux';
}
