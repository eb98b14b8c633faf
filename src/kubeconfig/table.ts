/**
 * The kubeconfig table (kubeadm's getKubeConfigSpecsBase): one row per file `init` writes, with
 * the client identity and which API server URL it uses.
 */
import path from 'node:path';
import type { InitConfig } from '../config/types.js';
import { validationError } from '../errors.js';
import { KUBERNETES_DIR } from '../host/paths.js';
// Direct imports (not ../pki/index.js) keep node-forge out of `certs check-expiration`'s start-up.
import type { Subject } from '../pki/certificate.js';
import { canonicalIP, joinHostPort, parseHostPort } from '../pki/netaddr.js';

export type KubeconfigName = 'admin' | 'super-admin' | 'kubelet' | 'controller-manager' | 'scheduler';

export interface KubeconfigSpec {
  /** kubeadm's phase name (`init phase kubeconfig <name>`). */
  name: KubeconfigName;
  fileName: string;
  /** kubeadm's phase help text. */
  description: string;
  client(cfg: InitConfig): Subject;
  /** admin, super-admin and kubelet dial the control-plane endpoint; the others this node's API server. */
  server: 'controlPlaneEndpoint' | 'localAPIEndpoint';
}

const client = (commonName: string, organizations: string[] = []) => (): Subject => ({ commonName, organizations });

export const kubeconfigTable: readonly KubeconfigSpec[] = [
  { name: 'admin', fileName: 'admin.conf', description: 'Generate a kubeconfig file for the admin to use and for kubeadm itself', client: client('kubernetes-admin', ['kubeadm:cluster-admins']), server: 'controlPlaneEndpoint' },
  { name: 'super-admin', fileName: 'super-admin.conf', description: 'Generate a kubeconfig file for the super-admin', client: client('kubernetes-super-admin', ['system:masters']), server: 'controlPlaneEndpoint' },
  {
    name: 'kubelet',
    fileName: 'kubelet.conf',
    description: 'Generate a kubeconfig file for the kubelet to use *only* for cluster bootstrapping purposes',
    client: (cfg) => ({ commonName: `system:node:${cfg.init.nodeRegistration.name}`, organizations: ['system:nodes'] }),
    server: 'controlPlaneEndpoint',
  },
  { name: 'controller-manager', fileName: 'controller-manager.conf', description: 'Generate a kubeconfig file for the controller manager to use', client: client('system:kube-controller-manager'), server: 'localAPIEndpoint' },
  { name: 'scheduler', fileName: 'scheduler.conf', description: 'Generate a kubeconfig file for the scheduler to use', client: client('system:kube-scheduler'), server: 'localAPIEndpoint' },
];

export function kubeconfigSpec(name: KubeconfigName): KubeconfigSpec {
  const spec = kubeconfigTable.find((row) => row.name === name);
  if (!spec) throw new Error(`unknown kubeconfig ${name}`);
  return spec;
}

export function kubeconfigPath(spec: Pick<KubeconfigSpec, 'fileName'>): string {
  return path.posix.join(KUBERNETES_DIR, spec.fileName);
}

/** kubeadm's GetLocalAPIEndpoint: https://<advertiseAddress>:<bindPort>. */
export function localAPIEndpointURL(cfg: InitConfig): string {
  const { advertiseAddress, bindPort } = cfg.init.localAPIEndpoint;
  const ip = canonicalIP(advertiseAddress);
  if (!ip) {
    throw validationError('KF_CONFIG_ADVERTISE_ADDRESS', `localAPIEndpoint.advertiseAddress ${JSON.stringify(advertiseAddress)} is not a valid IP address`, {
      hint: 'set --apiserver-advertise-address to an IP address of this node',
    });
  }
  return `https://${joinHostPort(ip, bindPort)}`;
}

/** kubeadm's GetControlPlaneEndpoint: controlPlaneEndpoint (its port, else bindPort), else the local endpoint. */
export function controlPlaneEndpointURL(cfg: InitConfig): string {
  const endpoint = cfg.cluster.controlPlaneEndpoint;
  if (!endpoint) return localAPIEndpointURL(cfg);
  const parsed = parseHostPort(endpoint);
  if (!parsed) {
    throw validationError('KF_CONFIG_CONTROL_PLANE_ENDPOINT', `controlPlaneEndpoint ${JSON.stringify(endpoint)} is not a valid host[:port]`, {
      hint: 'use an IP address or an RFC 1123 DNS name, optionally with a port between 1 and 65535',
    });
  }
  return `https://${joinHostPort(parsed.host, parsed.port || cfg.init.localAPIEndpoint.bindPort)}`;
}

export function kubeconfigServerURL(spec: KubeconfigSpec, cfg: InitConfig): string {
  return spec.server === 'controlPlaneEndpoint' ? controlPlaneEndpointURL(cfg) : localAPIEndpointURL(cfg);
}
