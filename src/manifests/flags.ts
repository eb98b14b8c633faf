/**
 * kubeadm's default flags for each static pod (getAPIServerCommand, getControllerManagerCommand,
 * getSchedulerCommand in phases/controlplane/manifests.go; getEtcdCommand in phases/etcd/local.go),
 * with the loopback rule applied through `NodeAddresses`. User extraArgs are merged later by
 * `argumentsToCommand`.
 */
import path from 'node:path';
import type { APIEndpoint, Arg, ClusterConfiguration } from '../config/types.js';
// The leaf module: its path is all the flag needs.
import { ENCRYPTION_CONFIG_BASENAME } from '../pki/encryption-config.js';
import { type NodeAddresses, joinHostPort, urlList } from './addresses.js';
import { getArgValue, setArgValue } from './args.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const ETCD_METRICS_PORT = 2381;
export const CONTROLLER_MANAGER_PORT = 10257;
export const SCHEDULER_PORT = 10259;

/** A member of the etcd cluster a joining control-plane node starts with. */
export interface EtcdMember {
  name: string;
  peerURL: string;
}

/** Everything a flag builder reads. */
export interface FlagContext {
  cluster: ClusterConfiguration;
  endpoint: APIEndpoint;
  nodeName: string;
  addresses: NodeAddresses;
  /** kubeadm's UsingExternalCA (ca.key absent): the controller manager gets empty signing files. */
  externalCA: boolean;
  /** Empty on init; the members (including this one) when joining an existing etcd cluster. */
  etcdInitialCluster: readonly EtcdMember[];
}

const KUBERNETES_DIR = '/etc/kubernetes';

/**
 * kubeforge's CIS defaults (CIS Kubernetes Benchmark v1.10, kube-bench cis-1.10), on top of
 * kubeadm's flags; each is overridable through extraArgs as any kubeadm default (an empty value
 * turns audit logging or encryption off). Init writes the files they name: the audit policy with
 * the kube-apiserver manifest, the encryption configuration (in the certificates dir, so
 * upload-certs copies it) with the certificates.
 */
export const AUDIT_POLICY_FILE = '/etc/kubernetes/audit-policy.yaml';
export const AUDIT_LOG_FILE = '/var/log/kubernetes/audit/audit.log';

function pki(ctx: FlagContext, file: string): string {
  return path.posix.join(ctx.cluster.certificatesDir, file);
}

export function etcdClientURL(host: string): string {
  return `https://${joinHostPort(host, ETCD_CLIENT_PORT)}`;
}

export function etcdPeerURL(host: string): string {
  return `https://${joinHostPort(host, ETCD_PEER_PORT)}`;
}

export function apiServerFlags(ctx: FlagContext): Arg[] {
  const { cluster, endpoint, addresses } = ctx;
  let args: Arg[] = [
    { name: 'advertise-address', value: endpoint.advertiseAddress },
    { name: 'enable-admission-plugins', value: 'NodeRestriction' },
    { name: 'service-cluster-ip-range', value: cluster.networking.serviceSubnet },
    { name: 'service-account-key-file', value: pki(ctx, 'sa.pub') },
    { name: 'service-account-signing-key-file', value: pki(ctx, 'sa.key') },
    { name: 'service-account-issuer', value: `https://kubernetes.default.svc.${cluster.networking.dnsDomain}` },
    { name: 'client-ca-file', value: pki(ctx, 'ca.crt') },
    { name: 'tls-cert-file', value: pki(ctx, 'apiserver.crt') },
    { name: 'tls-private-key-file', value: pki(ctx, 'apiserver.key') },
    { name: 'kubelet-client-certificate', value: pki(ctx, 'apiserver-kubelet-client.crt') },
    { name: 'kubelet-client-key', value: pki(ctx, 'apiserver-kubelet-client.key') },
    { name: 'enable-bootstrap-token-auth', value: 'true' },
    { name: 'secure-port', value: String(endpoint.bindPort) },
    { name: 'allow-privileged', value: 'true' },
    { name: 'kubelet-preferred-address-types', value: 'InternalIP,ExternalIP,Hostname' },
    // The front proxy: useless without the generated client cert, so always configured.
    { name: 'requestheader-username-headers', value: 'X-Remote-User' },
    { name: 'requestheader-group-headers', value: 'X-Remote-Group' },
    { name: 'requestheader-extra-headers-prefix', value: 'X-Remote-Extra-' },
    { name: 'requestheader-client-ca-file', value: pki(ctx, 'front-proxy-ca.crt') },
    { name: 'requestheader-allowed-names', value: 'front-proxy-client' },
    { name: 'proxy-client-cert-file', value: pki(ctx, 'front-proxy-client.crt') },
    { name: 'proxy-client-key-file', value: pki(ctx, 'front-proxy-client.key') },
    // CIS 1.2.15-1.2.19 and 1.2.27 (kubeadm sets none of them).
    { name: 'profiling', value: 'false' },
    { name: 'audit-policy-file', value: AUDIT_POLICY_FILE },
    { name: 'audit-log-path', value: AUDIT_LOG_FILE },
    { name: 'audit-log-maxage', value: '30' },
    { name: 'audit-log-maxbackup', value: '10' },
    { name: 'audit-log-maxsize', value: '100' },
    { name: 'encryption-provider-config', value: pki(ctx, ENCRYPTION_CONFIG_BASENAME) },
  ];
  // kubeforge: kubeadm listens on all interfaces; a loopback node binds only its own address.
  if (addresses.bindAddress !== undefined) args.push({ name: 'bind-address', value: addresses.bindAddress });

  const external = cluster.etcd.external;
  if (external) {
    args = setArgValue(args, 'etcd-servers', external.endpoints.join(','));
    if (external.caFile !== '') args = setArgValue(args, 'etcd-cafile', external.caFile);
    if (external.certFile !== '' && external.keyFile !== '') {
      args = setArgValue(args, 'etcd-certfile', external.certFile);
      args = setArgValue(args, 'etcd-keyfile', external.keyFile);
    }
  } else {
    const advertised = getArgValue(cluster.etcd.local?.extraArgs ?? [], 'advertise-client-urls');
    args = setArgValue(args, 'etcd-servers', advertised ?? etcdClientURL(addresses.localhost));
    args = setArgValue(args, 'etcd-cafile', pki(ctx, 'etcd/ca.crt'));
    args = setArgValue(args, 'etcd-certfile', pki(ctx, 'apiserver-etcd-client.crt'));
    args = setArgValue(args, 'etcd-keyfile', pki(ctx, 'apiserver-etcd-client.key'));
  }
  // Structured authorization config replaces --authorization-mode.
  if (getArgValue(cluster.apiServer.extraArgs, 'authorization-config') === undefined) {
    args = setArgValue(args, 'authorization-mode', 'Node,RBAC');
  }
  return args;
}

export function controllerManagerFlags(ctx: FlagContext): Arg[] {
  const { cluster } = ctx;
  const kubeconfig = path.posix.join(KUBERNETES_DIR, 'controller-manager.conf');
  const caFile = pki(ctx, 'ca.crt');
  let args: Arg[] = [
    { name: 'bind-address', value: ctx.addresses.localhost },
    { name: 'leader-elect', value: 'true' },
    { name: 'kubeconfig', value: kubeconfig },
    { name: 'authentication-kubeconfig', value: kubeconfig },
    { name: 'authorization-kubeconfig', value: kubeconfig },
    { name: 'client-ca-file', value: caFile },
    { name: 'requestheader-client-ca-file', value: pki(ctx, 'front-proxy-ca.crt') },
    { name: 'root-ca-file', value: caFile },
    { name: 'service-account-private-key-file', value: pki(ctx, 'sa.key') },
    { name: 'cluster-signing-cert-file', value: caFile },
    { name: 'cluster-signing-key-file', value: pki(ctx, 'ca.key') },
    { name: 'use-service-account-credentials', value: 'true' },
    { name: 'controllers', value: '*,bootstrapsigner,tokencleaner' },
    // CIS 1.3.2
    { name: 'profiling', value: 'false' },
  ];
  // With an external CA the csrsigning controller must not start: empty signing files.
  if (ctx.externalCA) {
    args = setArgValue(args, 'cluster-signing-key-file', '');
    args = setArgValue(args, 'cluster-signing-cert-file', '');
  }
  // Let the controller manager allocate node CIDRs out of --pod-network-cidr.
  if (cluster.networking.podSubnet !== '') {
    args = setArgValue(args, 'allocate-node-cidrs', 'true');
    args = setArgValue(args, 'cluster-cidr', cluster.networking.podSubnet);
    if (cluster.networking.serviceSubnet !== '') args = setArgValue(args, 'service-cluster-ip-range', cluster.networking.serviceSubnet);
  }
  if (cluster.clusterName !== '') args = setArgValue(args, 'cluster-name', cluster.clusterName);
  return args;
}

export function schedulerFlags(ctx: FlagContext): Arg[] {
  const kubeconfig = path.posix.join(KUBERNETES_DIR, 'scheduler.conf');
  return [
    { name: 'bind-address', value: ctx.addresses.localhost },
    { name: 'leader-elect', value: 'true' },
    { name: 'kubeconfig', value: kubeconfig },
    { name: 'authentication-kubeconfig', value: kubeconfig },
    { name: 'authorization-kubeconfig', value: kubeconfig },
    // CIS 1.4.1
    { name: 'profiling', value: 'false' },
  ];
}

export function etcdFlags(ctx: FlagContext): Arg[] {
  const { cluster, addresses, nodeName } = ctx;
  const advertise = ctx.endpoint.advertiseAddress;
  const clientURL = etcdClientURL(advertise);
  const peerURL = etcdPeerURL(advertise);
  let args: Arg[] = [
    { name: 'name', value: nodeName },
    { name: 'experimental-initial-corrupt-check', value: 'true' },
    { name: 'listen-client-urls', value: urlList([etcdClientURL(addresses.localhost), clientURL]) },
    { name: 'advertise-client-urls', value: clientURL },
    { name: 'listen-peer-urls', value: peerURL },
    { name: 'initial-advertise-peer-urls', value: peerURL },
    { name: 'data-dir', value: cluster.etcd.local?.dataDir ?? '/var/lib/etcd' },
    { name: 'cert-file', value: pki(ctx, 'etcd/server.crt') },
    { name: 'key-file', value: pki(ctx, 'etcd/server.key') },
    { name: 'trusted-ca-file', value: pki(ctx, 'etcd/ca.crt') },
    { name: 'client-cert-auth', value: 'true' },
    { name: 'peer-cert-file', value: pki(ctx, 'etcd/peer.crt') },
    { name: 'peer-key-file', value: pki(ctx, 'etcd/peer.key') },
    { name: 'peer-trusted-ca-file', value: pki(ctx, 'etcd/ca.crt') },
    { name: 'peer-client-cert-auth', value: 'true' },
    { name: 'snapshot-count', value: '10000' },
    { name: 'listen-metrics-urls', value: `http://${joinHostPort(addresses.localhost, ETCD_METRICS_PORT)}` },
    { name: 'experimental-watch-progress-notify-interval', value: '5s' },
  ];
  if (ctx.etcdInitialCluster.length === 0) {
    args = setArgValue(args, 'initial-cluster', `${nodeName}=${peerURL}`);
  } else {
    // The joining member is part of the list.
    args = setArgValue(args, 'initial-cluster', ctx.etcdInitialCluster.map((m) => `${m.name}=${m.peerURL}`).join(','));
    args = setArgValue(args, 'initial-cluster-state', 'existing');
  }
  return args;
}
