/**
 * A cluster whose workers run pods through their node containerd, for e2e files (built CLI):
 * `init` on the control-plane address and `join` of each worker, each node in its own temp root,
 * on a pod network of the file's own (clusters on one machine share its routing table).
 * `teardown()` resets every node (workers first) and reports anything left running.
 */
import { tempRoot, kubeforge, resetRoots } from './cli.js';
import { kubectlWith, type Kubectl } from './kubectl.js';

export interface CriClusterOptions {
  /** Temp-dir prefix, e.g. `kf-streams`. */
  prefix: string;
  controlPlane: { name: string; ip: string };
  workers: Record<string, string>;
  podNetworkCidr: string;
  serviceCidr?: string;
}

export interface CriCluster {
  /** Root of the control-plane node. */
  cp: string;
  /** Root of each worker by node name. */
  rootOf: Record<string, string>;
  /** A scratch directory removed with the cluster. */
  scratch: string;
  kubectl: Kubectl;
  teardown(): Promise<Record<string, number[]>>;
}

/** Builds the cluster; a failed init or join throws with the command's stderr tail (after tearing down what exists). */
export async function startCriCluster(options: CriClusterOptions): Promise<CriCluster> {
  const roots: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const newRoot = async (suffix: string) => {
    const { dir, cleanup } = await tempRoot(`${options.prefix}-${suffix}-`);
    cleanups.push(cleanup);
    return dir;
  };
  const scratch = await newRoot('scratch');
  const cp = await newRoot('cp');
  const rootOf: Record<string, string> = {};
  const teardown = async () => {
    const leftovers = await resetRoots(roots);
    for (const cleanup of cleanups) await cleanup();
    return leftovers;
  };
  const cluster: CriCluster = {
    cp, rootOf, scratch, teardown,
    kubectl: kubectlWith(() => `${cp}/etc/kubernetes/admin.conf`),
  };
  try {
    roots.push(cp);
    const init = await kubeforge([
      'init', '--root', cp, '--apiserver-advertise-address', options.controlPlane.ip, '--node-name', options.controlPlane.name,
      '--pod-network-cidr', options.podNetworkCidr, ...(options.serviceCidr ? ['--service-cidr', options.serviceCidr] : []), '--ignore-preflight-errors=all',
    ]);
    if (init.exitCode !== 0) throw new Error(`init exited ${init.exitCode}: ${init.stderr.slice(-2000)}`);
    const printed = init.stdout.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
    if (!printed) throw new Error(`init printed no join command: ${init.stdout.slice(-1000)}`);
    const joinArgs = [...printed[1]!.split(/\s+/), ...printed[2]!.split(/\s+/)];
    for (const [name, ip] of Object.entries(options.workers)) {
      rootOf[name] = await newRoot(name);
      roots.push(rootOf[name]);
      const join = await kubeforge([...joinArgs, '--root', rootOf[name], '--node-name', name, '--node-ip', ip, '--ignore-preflight-errors', 'all']);
      if (join.exitCode !== 0) throw new Error(`join of ${name} exited ${join.exitCode}: ${join.stderr.slice(-2000)}`);
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  return cluster;
}
