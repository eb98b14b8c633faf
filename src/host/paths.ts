/**
 * Paths under `--root`. Every kubeadm path (`/etc/kubernetes/pki/ca.crt`) is a logical path;
 * the host maps it under the root so a whole node lives in one directory and runs unprivileged.
 */
import path from 'node:path';

export const KUBERNETES_DIR = '/etc/kubernetes';
export const PKI_DIR = '/etc/kubernetes/pki';
export const MANIFESTS_DIR = '/etc/kubernetes/manifests';
export const ETCD_DATA_DIR = '/var/lib/etcd';
export const KUBELET_DIR = '/var/lib/kubelet';
export const POD_LOGS_DIR = '/var/log/pods';
export const RUN_DIR = '/run/kubeforge';

/** The root from `--root`, then `KUBEFORGE_ROOT`, then `/`; always absolute. */
export function resolveRoot(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.KUBEFORGE_ROOT ?? '/');
}

/** Maps a logical absolute path under `root`. Relative paths resolve against the working directory, unmapped. */
export function underRoot(root: string, logical: string): string {
  if (!path.isAbsolute(logical)) return path.resolve(logical);
  return root === '/' ? path.normalize(logical) : path.join(root, logical);
}
