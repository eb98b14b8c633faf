/**
 * The component configs kubeadm manages beside its own kinds (cmd/kubeadm/app/componentconfigs):
 * KubeletConfiguration and KubeProxyConfiguration. A user document is kept as an object and
 * kubeadm's defaults fill every field it leaves unset; `rotateCertificates` is always true, as in
 * kubeadm (it cannot tell an explicit false from unset).
 */
import { parseCIDRList, indexedIP, parseIP } from './net.js';
import type { ClusterConfiguration } from './types.js';
import { own, setOwn } from '../safe-keys.js';

export const KUBELET_HEALTHZ_PORT = 10248;
export const KUBELET_HEALTHZ_BIND_ADDRESS = '127.0.0.1';
export const KUBE_PROXY_KUBECONFIG = '/var/lib/kube-proxy/kubeconfig.conf';
/** v1beta4 DefaultClusterDNSIP, used when the service subnet does not parse. */
export const DEFAULT_CLUSTER_DNS_IP = '10.96.0.10';
/** kubeadm's static pod directory (v1beta4 DefaultManifestsDir). */
const STATIC_POD_PATH = '/etc/kubernetes/manifests';

type Doc = Record<string, unknown>;

/** constants.GetDNSIP: the 10th address of the first (primary) service subnet. */
export function clusterDNSIP(serviceSubnet: string): string {
  const primary = parseCIDRList(serviceSubnet)?.[0];
  return (primary && indexedIP(primary, 10)) ?? DEFAULT_CLUSTER_DNS_IP;
}

/** constants.GetAPIServerVirtualIP: the 1st address of the primary service subnet. */
export function apiServerServiceIP(serviceSubnet: string): string | undefined {
  const primary = parseCIDRList(serviceSubnet)?.[0];
  return primary && indexedIP(primary, 1);
}

export function defaultKubeletConfiguration(cluster: ClusterConfiguration): Doc {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: `${cluster.certificatesDir.replace(/\/+$/, '')}/ca.crt` },
    },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'systemd',
    clusterDNS: [clusterDNSIP(cluster.networking.serviceSubnet)],
    clusterDomain: cluster.networking.dnsDomain,
    healthzBindAddress: KUBELET_HEALTHZ_BIND_ADDRESS,
    healthzPort: KUBELET_HEALTHZ_PORT,
    rotateCertificates: true,
    staticPodPath: STATIC_POD_PATH,
  };
}

export function defaultKubeProxyConfiguration(cluster: ClusterConfiguration, advertiseAddress: string): Doc {
  const doc: Doc = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    bindAddress: parseIP(advertiseAddress)?.family === 6 ? '::' : '0.0.0.0',
    clientConnection: { kubeconfig: KUBE_PROXY_KUBECONFIG },
  };
  if (cluster.networking.podSubnet !== '') doc.clusterCIDR = cluster.networking.podSubnet;
  return doc;
}

/** The user's KubeletConfiguration over kubeadm's defaults. */
export function kubeletConfiguration(user: Doc | undefined, cluster: ClusterConfiguration): Doc {
  const merged = mergeDefaults(defaultKubeletConfiguration(cluster), user ?? {});
  merged.rotateCertificates = true;
  return merged;
}

/** The user's KubeProxyConfiguration over kubeadm's defaults. */
export function kubeProxyConfiguration(user: Doc | undefined, cluster: ClusterConfiguration, advertiseAddress: string): Doc {
  return mergeDefaults(defaultKubeProxyConfiguration(cluster, advertiseAddress), user ?? {});
}

/** Deep merge: objects field by field, anything else (scalars, lists) taken from `over` when set. */
export function mergeDefaults(base: Doc, over: Doc): Doc {
  const out: Doc = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = own(out, key);
    if (value === null || value === undefined) continue;
    setOwn(out, key, isObject(current) && isObject(value) ? mergeDefaults(current, value) : structuredClone(value));
  }
  return out;
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
