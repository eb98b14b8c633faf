/** Gathers the NodeFacts of this machine through the host (system facts are real, never under --root). */
import type { Host } from '../host/index.js';
import { goArch, osImageFrom, type KubeletReservations, type NodeFacts } from './node-object.js';

export interface NodeIdentity {
  nodeName: string;
  nodeIP: string;
  kubeletPort: number;
  /** `kubeforge://<version>`. */
  containerRuntimeVersion: string;
  /** The CRI endpoint (the Node's kubeadm.alpha.kubernetes.io/cri-socket annotation). */
  criSocket?: string;
  reservations?: KubeletReservations;
}

/** MemTotal of /proc/meminfo in bytes (what the kubelet's cadvisor reports as capacity), if readable. */
export function memTotalBytes(meminfo: string | undefined): number | undefined {
  const kib = /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo ?? '')?.[1];
  return kib ? Number(kib) * 1024 : undefined;
}

export async function gatherNodeFacts(host: Host, identity: NodeIdentity): Promise<NodeFacts> {
  const { system } = host;
  return {
    ...identity,
    hostname: identity.nodeName,
    cpuCount: system.cpuCount(),
    // /proc/meminfo first: systeminformation costs the agent ~12 MB of RSS for the same number.
    memoryBytes: memTotalBytes(await system.readSystemFile('/proc/meminfo')) ?? (await system.memoryBytes()),
    osImage: osImageFrom(await system.readSystemFile('/etc/os-release')),
    kernelVersion: system.kernelRelease(),
    architecture: goArch(process.arch),
  };
}
