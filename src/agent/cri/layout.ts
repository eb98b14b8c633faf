/**
 * Where a node's own runtime lives and what it names things, as pure data. Several nodes run on
 * one machine (each under its own --root), so everything the node creates in the shared kernel —
 * the CNI network, its bridge, iptables comments, the containerd namespace's cgroup names — carries
 * a prefix derived from the root, and `reset` removes exactly what carries it.
 */
import { createHash } from 'node:crypto';

/** The image the CRI plugin starts every sandbox from; built offline by kubeforge, imported at start. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
/** The containerd namespace the CRI plugin uses (and `ctr -n k8s.io`). */
export const CRI_NAMESPACE = 'k8s.io';
/** Air-gap images: every archive here is imported when the agent starts (k3s's agent/images). */
export const IMAGES_DIR = '/var/lib/kubeforge/images';
/** The pause image's archive, built once per node. */
export const PAUSE_ARCHIVE = '/var/lib/kubeforge/pause.tar';
/** Archives of the bundled add-on images (CoreDNS, kube-proxy), built before import; reset removes them. */
export const BUNDLED_ARCHIVE_DIR = '/var/lib/kubeforge/bundled';
/** Default pod network when --pod-network-cidr is not given (Flannel's, which most guides use). */
export const DEFAULT_POD_SUBNET = '10.244.0.0/16';

export interface NodeRuntimeLayout {
  /** Short per-node tag, `kf` + 6 hex digits of the root's hash. */
  prefix: string;
  /** Logical paths (under --root). */
  configFile: string;
  rootDir: string;
  stateDir: string;
  socket: string;
  pidFile: string;
  logFile: string;
  cniConfDir: string;
  cniDataDir: string;
  /** The CNI network name and its Linux bridge (≤ 15 characters). */
  networkName: string;
  bridge: string;
}

/** A node's bridge carries `kubeforge:<root>` as its alias. */
export const BRIDGE_ALIAS_PREFIX = 'kubeforge:';

export function nodeRuntimeLayout(realRoot: string): NodeRuntimeLayout {
  const prefix = `kf${createHash('sha256').update(realRoot).digest('hex').slice(0, 6)}`;
  return {
    prefix,
    configFile: '/etc/kubeforge/containerd/config.toml',
    rootDir: '/var/lib/kubeforge/containerd',
    stateDir: '/run/kubeforge/containerd',
    socket: '/run/kubeforge/containerd/containerd.sock',
    pidFile: '/run/kubeforge/containerd.pid',
    logFile: '/var/log/kubeforge/containerd.log',
    cniConfDir: '/etc/kubeforge/cni/net.d',
    cniDataDir: '/var/lib/kubeforge/cni',
    networkName: `kubeforge-${prefix}`,
    bridge: `${prefix}br0`,
  };
}

/** `unix:///run/x.sock` or `/run/x.sock` → `/run/x.sock`. */
export function socketPath(endpoint: string): string {
  return endpoint.replace(/^unix:\/\//, '');
}
