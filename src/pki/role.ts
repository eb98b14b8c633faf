/**
 * Which kubeadm role a certificate plays: matched by file name against the certificate table
 * (`etcd/server.crt` → etcd-server), else by subject, CA flag and usages, else as a kubeconfig
 * client identity (CN=kubernetes-admin → admin.conf).
 */
import { defaultInitConfig } from '../config/defaults.js';
import type { CertificateInfo } from './certificate.js';
import { certificateTable } from './table.js';

export interface CertificateRole {
  name: string;
  description: string;
}

/** Client identities of kubeadm's kubeconfig files (kubelet.conf's CN carries the node name). */
const KUBECONFIG_CLIENTS: { fileName: string; matches: (cn: string, orgs: string[]) => boolean; description: string }[] = [
  { fileName: 'admin.conf', matches: (cn) => cn === 'kubernetes-admin', description: 'client certificate of the admin kubeconfig' },
  { fileName: 'super-admin.conf', matches: (cn, o) => cn === 'kubernetes-super-admin' && o.includes('system:masters'), description: 'client certificate of the super-admin kubeconfig' },
  { fileName: 'kubelet.conf', matches: (cn, o) => cn.startsWith('system:node:') && o.includes('system:nodes'), description: "client certificate of a node's kubelet" },
  { fileName: 'controller-manager.conf', matches: (cn) => cn === 'system:kube-controller-manager', description: 'client certificate of the controller manager' },
  { fileName: 'scheduler.conf', matches: (cn) => cn === 'system:kube-scheduler', description: 'client certificate of the scheduler' },
];

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export function certificateRole(filePath: string | undefined, cert: CertificateInfo): CertificateRole | undefined {
  // Longest base name first, so etcd/ca.crt is etcd-ca, not ca.
  const byFile = filePath && [...certificateTable]
    .sort((a, b) => b.baseName.length - a.baseName.length)
    .find((row) => filePath.endsWith(`/${row.baseName}.crt`) || filePath === `${row.baseName}.crt`);
  if (byFile) return { name: byFile.name, description: byFile.description };
  // Rows whose subject depends on the node name (etcd server/peer) match by file name only.
  const cfg = defaultInitConfig('\u0000', '127.0.0.1');
  const bySubject = certificateTable.find((row) => {
    const subject = row.subject(cfg);
    return subject.commonName === cert.subject.commonName && row.isCA === cert.isCA && sameSet(subject.organizations, cert.subject.organizations) && (row.isCA || sameSet(row.usages, cert.extKeyUsage));
  });
  if (bySubject) return { name: bySubject.name, description: bySubject.description };
  if (!cert.isCA && cert.issuer.commonName === 'etcd-ca' && sameSet(cert.extKeyUsage, ['serverAuth', 'clientAuth'])) {
    return { name: 'etcd-server or etcd-peer', description: 'certificate for serving etcd, or for etcd nodes to communicate with each other' };
  }
  const client = KUBECONFIG_CLIENTS.find((k) => k.matches(cert.subject.commonName, cert.subject.organizations));
  return client && { name: client.fileName, description: client.description };
}
