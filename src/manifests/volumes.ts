/**
 * hostPath volumes of the control-plane static pods (kubeadm's phases/controlplane/volumes.go and
 * the etcd pod's two volumes in phases/etcd/local.go), as one table.
 */
import path from 'node:path';
import type { ClusterConfiguration, ExternalEtcd, HostPathMount } from '../config/types.js';
import { getArgValue } from './args.js';
import { AUDIT_LOG_FILE, AUDIT_POLICY_FILE } from './flags.js';
import { mergeMounts } from './pod.js';
import type { StaticPodComponent } from './pod.js';

export const CA_CERTS_VOLUME_PATH = '/etc/ssl/certs';
export const DEFAULT_FLEXVOLUME_DIR = '/usr/libexec/kubernetes/kubelet-plugins/volume/exec';
/**
 * Directories kubeadm also mounts into the API server and controller manager when they exist on
 * the host, because /etc/ssl/certs may hold symlinks into them. Rendering is pure: the caller
 * checks which exist and passes them as `caCertDirs`.
 */
export const CA_CERTS_EXTRA_VOLUME_PATHS = ['/etc/pki/ca-trust', '/etc/pki/tls/certs', '/etc/ca-certificates', '/usr/share/ca-certificates', '/usr/local/share/ca-certificates'];

const DIR = 'DirectoryOrCreate';
const FILE = 'FileOrCreate';

function hostPath(name: string, p: string, readOnly: boolean, pathType: string): HostPathMount {
  return { name, hostPath: p, mountPath: p, readOnly, pathType };
}

type MountRow = [StaticPodComponent[], (cfg: ClusterConfiguration, caCertDirs: readonly string[]) => HostPathMount[]];

/** Every default mount: which components get it and how it is built. Order does not matter (sorted later). */
const CONTROL_PLANE_MOUNTS: MountRow[] = [
  [['kube-apiserver', 'kube-controller-manager'], (cfg) => [hostPath('k8s-certs', cfg.certificatesDir, true, DIR)]],
  [['kube-apiserver', 'kube-controller-manager'], () => [hostPath('ca-certs', CA_CERTS_VOLUME_PATH, true, DIR)]],
  [['kube-apiserver'], (cfg) => (cfg.etcd.external ? externalEtcdCertMounts(cfg.etcd.external, cfg.certificatesDir) : [])],
  [['kube-controller-manager'], () => [hostPath('kubeconfig', '/etc/kubernetes/controller-manager.conf', true, FILE)]],
  // Read-write: third-party storage plugins talk to their drivers over sockets in it.
  [['kube-controller-manager'], (cfg) => [hostPath('flexvolume-dir', getArgValue(cfg.controllerManager.extraArgs, 'flex-volume-plugin-dir') ?? DEFAULT_FLEXVOLUME_DIR, false, DIR)]],
  [['kube-scheduler'], () => [hostPath('kubeconfig', '/etc/kubernetes/scheduler.conf', true, FILE)]],
  [['kube-apiserver'], auditMounts],
  [['kube-apiserver', 'kube-controller-manager'], (_cfg, dirs) => dirs.map((dir) => hostPath(dir.replaceAll('/', '-').slice(1), dir, true, DIR))],
];

/**
 * The audit policy (read-only) and the audit log's directory (written, rotated there), wherever
 * the effective --audit-policy-file and --audit-log-path point; none when they are turned off
 * (empty) or the log goes to stdout (`-`).
 */
function auditMounts(cfg: ClusterConfiguration): HostPathMount[] {
  const policy = getArgValue(cfg.apiServer.extraArgs, 'audit-policy-file') ?? AUDIT_POLICY_FILE;
  const log = getArgValue(cfg.apiServer.extraArgs, 'audit-log-path') ?? AUDIT_LOG_FILE;
  return [
    ...(policy === '' ? [] : [hostPath('audit-policy', policy, true, 'File')]),
    ...(log === '' || log === '-' ? [] : [hostPath('audit-log', path.posix.dirname(log), false, DIR)]),
  ];
}

/**
 * The hostPath mounts of one component, sorted by name, with the user's extraVolumes replacing
 * defaults of the same name. etcd's mounts keep kubeadm's literal order (data, then certs).
 */
export function componentMounts(cfg: ClusterConfiguration, component: StaticPodComponent, caCertDirs: readonly string[] = []): HostPathMount[] {
  if (component === 'etcd') {
    const dataDir = cfg.etcd.local?.dataDir ?? '/var/lib/etcd';
    return [hostPath('etcd-data', dataDir, false, DIR), hostPath('etcd-certs', `${cfg.certificatesDir}/etcd`, false, DIR)];
  }
  const defaults = CONTROL_PLANE_MOUNTS.filter(([components]) => components.includes(component)).flatMap(([, build]) => build(cfg, caCertDirs));
  return mergeMounts(defaults, extraVolumesOf(cfg, component));
}

function extraVolumesOf(cfg: ClusterConfiguration, component: Exclude<StaticPodComponent, 'etcd'>): HostPathMount[] {
  const byComponent = { 'kube-apiserver': cfg.apiServer, 'kube-controller-manager': cfg.controllerManager, 'kube-scheduler': cfg.scheduler };
  return byComponent[component].extraVolumes;
}

/**
 * kubeadm's getEtcdCertVolumes: the directories of the external etcd CA/cert/key that are not
 * already mounted (certificatesDir, /etc/ssl/certs, the CA extra paths), without nested repeats,
 * as `etcd-certs-<i>` in sorted order.
 */
export function externalEtcdCertMounts(etcd: ExternalEtcd, certificatesDir: string): HostPathMount[] {
  const dirs = new Set<string>();
  for (const file of [etcd.caFile, etcd.certFile, etcd.keyFile]) {
    const dir = path.posix.dirname(file);
    const covered = [...CA_CERTS_EXTRA_VOLUME_PATHS, CA_CERTS_VOLUME_PATH, certificatesDir].some((p) => dir.startsWith(p));
    if (file === '' || dir === '.' || covered) continue;
    let nested = false;
    for (const existing of [...dirs].sort()) {
      if (existing.startsWith(dir)) dirs.delete(existing);
      else if (dir.startsWith(existing)) nested = true;
    }
    if (!nested) dirs.add(dir);
  }
  return [...dirs].sort().map((dir, i) => hostPath(`etcd-certs-${i}`, dir, true, DIR));
}
