/**
 * The certificates `certs check-expiration` lists and `certs renew` renews (kubeadm's renewal
 * manager): the signed rows of the certificate table plus the client certificates embedded in the
 * kubeconfig files (kubelet.conf is not among them: the kubelet rotates its own). Sorted by name,
 * as kubeadm lists them. Each row also says which static pods read it, so a renewal knows which
 * pods must restart.
 */
import path from 'node:path';
import { KUBERNETES_DIR } from '../host/paths.js';
import { certificateTable, type CertName } from '../pki/table.js';
import { kubeconfigTable, type KubeconfigName } from './table.js';

export type StaticPodName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export interface ManagedCertificate {
  /** kubeadm's `certs renew` name: a table row name, or a kubeconfig file name. */
  name: string;
  kind: 'certificate' | 'kubeconfig';
  /** kubeadm's LongName ("certificate for serving the Kubernetes API"). */
  longName: string;
  caName: CertName;
  /** Logical path of the certificate (`.crt`) or of the kubeconfig. */
  path: string;
  /** Logical path of the private key (certificates only; a kubeconfig embeds it). */
  keyPath?: string;
  certName?: CertName;
  kubeconfigName?: KubeconfigName;
  /** Static pods that load it at start-up and so must restart to use a renewed one. */
  pods: StaticPodName[];
}

/** Who reads what. etcd's healthcheck client is absent: kubeadm's etcd probes are plain HTTP. */
const READERS: Record<string, StaticPodName[]> = {
  apiserver: ['kube-apiserver'],
  'apiserver-kubelet-client': ['kube-apiserver'],
  'front-proxy-client': ['kube-apiserver'],
  'apiserver-etcd-client': ['kube-apiserver'],
  'etcd-server': ['etcd'],
  'etcd-peer': ['etcd'],
  'controller-manager.conf': ['kube-controller-manager'],
  'scheduler.conf': ['kube-scheduler'],
};

/** kubeadm's long names for the kubeconfig certificates (renewal manager). */
const KUBECONFIG_LONG_NAMES: Partial<Record<KubeconfigName, string>> = {
  admin: 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself',
  'super-admin': 'certificate embedded in the kubeconfig file for the super-admin',
  'controller-manager': 'certificate embedded in the kubeconfig file for the controller manager to use',
  scheduler: 'certificate embedded in the kubeconfig file for the scheduler manager to use',
};

/** The CAs kubeadm's check-expiration lists (those that sign a managed certificate). */
export function managedCertificateAuthorities(localEtcd: boolean): CertName[] {
  return certificateTable.filter((s) => s.isCA && (localEtcd || !s.localEtcdOnly)).map((s) => s.name).sort();
}

export function managedCertificates(certificatesDir: string, localEtcd: boolean): ManagedCertificate[] {
  const rows: ManagedCertificate[] = [];
  for (const spec of certificateTable) {
    if (spec.isCA || (spec.localEtcdOnly && !localEtcd)) continue;
    const base = path.posix.join(certificatesDir, spec.baseName);
    rows.push({
      name: spec.name, kind: 'certificate', longName: spec.description, caName: spec.caName!,
      path: `${base}.crt`, keyPath: `${base}.key`, certName: spec.name, pods: READERS[spec.name] ?? [],
    });
  }
  for (const spec of kubeconfigTable) {
    const longName = KUBECONFIG_LONG_NAMES[spec.name];
    if (!longName) continue;
    rows.push({
      name: spec.fileName, kind: 'kubeconfig', longName, caName: 'ca',
      path: path.posix.join(KUBERNETES_DIR, spec.fileName), kubeconfigName: spec.name, pods: READERS[spec.fileName] ?? [],
    });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** kubeadm's `certs renew` names, in its order, then `all`. */
export function renewableNames(localEtcd = true): string[] {
  return [...managedCertificates('/', localEtcd).map((row) => row.name), 'all'];
}
