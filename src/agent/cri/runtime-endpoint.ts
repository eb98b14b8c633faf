/**
 * Which runtime a node uses, decided when init/join start its agent, and kubeadm's record of it:
 * the configured criSocket when something listens there; else, when containerd is installed,
 * the node's own containerd under --root; else the configured socket all the same (pods then
 * wait, with the reason, until a runtime answers). kubeadm-flags.env carries the choice to the
 * agent as kubeadm 1.32 writes it for the kubelet.
 */
import type { Host } from '../../host/index.js';
import { PAUSE_IMAGE, socketPath } from './layout.js';
import { privateEndpoint } from './node-containerd.js';

export interface RuntimeChoice {
  endpoint: string;
  privateRuntime: boolean;
  /** Why, for init/join's output. */
  note: string;
}

export async function chooseRuntime(host: Host, criSocket: string): Promise<RuntimeChoice> {
  if ((await host.system.probeUnixSocket(socketPath(criSocket))) === 'listening') {
    return { endpoint: criSocket, privateRuntime: false, note: `using the container runtime at ${criSocket}` };
  }
  if (await host.system.which('containerd')) {
    const endpoint = privateEndpoint(host);
    return { endpoint, privateRuntime: true, note: `nothing answers at ${criSocket}; the node runs its own containerd at ${endpoint}` };
  }
  return { endpoint: criSocket, privateRuntime: false, note: `no container runtime answers at ${criSocket} and containerd is not installed: pods other than static pods wait until one does` };
}

/** KUBELET_KUBEADM_ARGS as kubeadm writes it: --flag=value pairs sorted by flag name. */
export function kubeletFlagsEnv(flags: Record<string, string>): string {
  const args = Object.keys(flags).sort().map((k) => `--${k}=${flags[k]}`);
  return `KUBELET_KUBEADM_ARGS="${args.join(' ')}"\n`;
}

export function kubeletFlags(endpoint: string, nodeIP: string, nodeName: string): Record<string, string> {
  return { 'container-runtime-endpoint': endpoint, 'hostname-override': nodeName, 'node-ip': nodeIP, 'pod-infra-container-image': PAUSE_IMAGE };
}

/** The flags of a kubeadm-flags.env (undefined values for flags it does not set). */
export function parseKubeletFlagsEnv(text: string): Record<string, string> {
  const line = /^KUBELET_KUBEADM_ARGS="?(.*?)"?\s*$/m.exec(text)?.[1] ?? '';
  const flags: Record<string, string> = {};
  for (const arg of line.split(/\s+/)) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m) flags[m[1]!] = m[2]!;
  }
  return flags;
}
