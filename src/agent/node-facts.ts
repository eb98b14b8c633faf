/** Gathers the NodeFacts of this machine through the host (system facts are real, never under --root). */
import type { Host } from '../host/index.js';
import { goArch, osImageFrom, type NodeFacts } from './node-object.js';

export interface NodeIdentity {
  nodeName: string;
  nodeIP: string;
  kubeletPort: number;
  /** `kubeforge://<version>`. */
  containerRuntimeVersion: string;
}

export async function gatherNodeFacts(host: Host, identity: NodeIdentity): Promise<NodeFacts> {
  const { system } = host;
  return {
    ...identity,
    hostname: identity.nodeName,
    cpuCount: system.cpuCount(),
    memoryBytes: await system.memoryBytes(),
    osImage: osImageFrom(await system.readSystemFile('/etc/os-release')),
    kernelVersion: system.kernelRelease(),
    architecture: goArch(process.arch),
  };
}
