/**
 * The certificate table (kubeadm's certlist.go): one row per certificate kubeadm makes. Creation,
 * renewal, expiry checks, `init phase certs <name>` and its help text all walk these rows.
 */
import path from 'node:path';
import type { InitConfig } from '../config/types.js';
import { apiServerAltNames, etcdPeerAltNames, etcdServerAltNames, type AltNamesResult } from './altnames.js';
import type { ExtKeyUsage, Subject } from './certificate.js';

export type CertName =
  | 'ca'
  | 'apiserver'
  | 'apiserver-kubelet-client'
  | 'front-proxy-ca'
  | 'front-proxy-client'
  | 'etcd-ca'
  | 'etcd-server'
  | 'etcd-peer'
  | 'etcd-healthcheck-client'
  | 'apiserver-etcd-client';

export interface CertificateSpec {
  /** kubeadm's phase and `certs renew` name. */
  name: CertName;
  /** File base under certificatesDir: `<baseName>.crt` / `<baseName>.key`. */
  baseName: string;
  /** The signing CA's row; undefined for a self-signed CA. */
  caName: CertName | undefined;
  isCA: boolean;
  /** kubeadm's LongName, used for help text ("Generate the <description>"). */
  description: string;
  usages: ExtKeyUsage[];
  subject(cfg: InitConfig): Subject;
  altNames(cfg: InitConfig): AltNamesResult;
  /** Only made when etcd is local (kubeadm's GetCertsWithoutEtcd leaves these out). */
  localEtcdOnly: boolean;
}

const fixed = (commonName: string, organizations: string[] = []) => (): Subject => ({ commonName, organizations });
const nodeName = (cfg: InitConfig): Subject => ({ commonName: cfg.init.nodeRegistration.name, organizations: [] });
const none = (): AltNamesResult => ({ dnsNames: [], ips: [], warnings: [] });
/** Go's NewSelfSignedCACert puts the CA's common name in its DNS SANs. */
const caSelf = (commonName: string) => (): AltNamesResult => ({ dnsNames: [commonName], ips: [], warnings: [] });

function ca(name: CertName, baseName: string, commonName: string, description: string, localEtcdOnly = false): CertificateSpec {
  return { name, baseName, caName: undefined, isCA: true, description, usages: [], subject: fixed(commonName), altNames: caSelf(commonName), localEtcdOnly };
}

type LeafFields = Omit<CertificateSpec, 'isCA' | 'altNames' | 'localEtcdOnly'> & Partial<Pick<CertificateSpec, 'altNames' | 'localEtcdOnly'>>;
function leaf(fields: LeafFields): CertificateSpec {
  return { isCA: false, altNames: none, localEtcdOnly: false, ...fields };
}

export const certificateTable: readonly CertificateSpec[] = [
  ca('ca', 'ca', 'kubernetes', 'self-signed Kubernetes CA to provision identities for other Kubernetes components'),
  leaf({
    name: 'apiserver',
    baseName: 'apiserver',
    caName: 'ca',
    description: 'certificate for serving the Kubernetes API',
    usages: ['serverAuth'],
    subject: fixed('kube-apiserver'),
    altNames: apiServerAltNames,
  }),
  leaf({
    name: 'apiserver-kubelet-client',
    baseName: 'apiserver-kubelet-client',
    caName: 'ca',
    description: 'certificate for the API server to connect to kubelet',
    usages: ['clientAuth'],
    subject: fixed('kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']),
  }),
  ca('front-proxy-ca', 'front-proxy-ca', 'front-proxy-ca', 'self-signed CA to provision identities for front proxy'),
  leaf({
    name: 'front-proxy-client',
    baseName: 'front-proxy-client',
    caName: 'front-proxy-ca',
    description: 'certificate for the front proxy client',
    usages: ['clientAuth'],
    subject: fixed('front-proxy-client'),
  }),
  ca('etcd-ca', 'etcd/ca', 'etcd-ca', 'self-signed CA to provision identities for etcd', true),
  leaf({
    name: 'etcd-server',
    baseName: 'etcd/server',
    caName: 'etcd-ca',
    description: 'certificate for serving etcd',
    // etcd requires clientAuth on its serving certificate too (etcd-io/etcd#9785).
    usages: ['serverAuth', 'clientAuth'],
    subject: nodeName,
    altNames: etcdServerAltNames,
    localEtcdOnly: true,
  }),
  leaf({
    name: 'etcd-peer',
    baseName: 'etcd/peer',
    caName: 'etcd-ca',
    description: 'certificate for etcd nodes to communicate with each other',
    usages: ['serverAuth', 'clientAuth'],
    subject: nodeName,
    altNames: etcdPeerAltNames,
    localEtcdOnly: true,
  }),
  leaf({
    name: 'etcd-healthcheck-client',
    baseName: 'etcd/healthcheck-client',
    caName: 'etcd-ca',
    description: 'certificate for liveness probes to healthcheck etcd',
    usages: ['clientAuth'],
    subject: fixed('kube-etcd-healthcheck-client'),
    localEtcdOnly: true,
  }),
  leaf({
    name: 'apiserver-etcd-client',
    baseName: 'apiserver-etcd-client',
    caName: 'etcd-ca',
    description: 'certificate the apiserver uses to access etcd',
    usages: ['clientAuth'],
    subject: fixed('kube-apiserver-etcd-client'),
    localEtcdOnly: true,
  }),
];

export const CERT_NAMES: readonly CertName[] = certificateTable.map((spec) => spec.name);

export function isCertName(name: string): name is CertName {
  return (CERT_NAMES as readonly string[]).includes(name);
}

export function certificateSpec(name: CertName): CertificateSpec {
  const spec = certificateTable.find((row) => row.name === name);
  if (!spec) throw new Error(`unknown certificate ${name}`);
  return spec;
}

/** The rows this configuration needs: without the etcd ones when etcd is external. */
export function certificatesFor(cfg: InitConfig): CertificateSpec[] {
  return certificateTable.filter((spec) => !spec.localEtcdOnly || cfg.cluster.etcd.external === undefined);
}

/** Logical paths of a row's files under certificatesDir. */
export function certificatePaths(cfg: InitConfig, spec: Pick<CertificateSpec, 'baseName'>): { cert: string; key: string } {
  const base = path.posix.join(cfg.cluster.certificatesDir, spec.baseName);
  return { cert: `${base}.crt`, key: `${base}.key` };
}
