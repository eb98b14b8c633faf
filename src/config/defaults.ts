/**
 * kubeadm's defaults (cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go and constants.go) for the
 * Kubernetes release kubeforge targets. `defaultInitConfig` is what `init` starts from before the
 * config file and the flags are applied.
 */
import { defaultKubeletConfiguration, defaultKubeProxyConfiguration } from './componentconfigs.js';
import type { ClusterConfiguration, InitConfig, InitConfiguration, JoinConfig, JoinConfiguration, NodeRegistration, Timeouts } from './types.js';

export const KUBERNETES_VERSION = 'v1.32.0';
export const ETCD_VERSION = '3.5.16-0';
export const COREDNS_VERSION = 'v1.11.3';
export const DEFAULT_IMAGE_REPOSITORY = 'registry.k8s.io';
export const DEFAULT_SERVICE_SUBNET = '10.96.0.0/12';
export const DEFAULT_DNS_DOMAIN = 'cluster.local';
export const DEFAULT_API_BIND_PORT = 6443;
export const DEFAULT_CERT_VALIDITY = '8760h0m0s';
export const DEFAULT_CA_CERT_VALIDITY = '87600h0m0s';
export const DEFAULT_TOKEN_TTL = '24h0m0s';
export const DEFAULT_TOKEN_USAGES = ['signing', 'authentication'];
export const DEFAULT_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
export const DEFAULT_CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock';
export const DEFAULT_CERTIFICATES_DIR = '/etc/kubernetes/pki';
export const DEFAULT_CA_CERT_PATH = '/etc/kubernetes/pki/ca.crt';
export const DEFAULT_ETCD_DATA_DIR = '/var/lib/etcd';
export const DEFAULT_CLUSTER_NAME = 'kubernetes';
export const DEFAULT_ENCRYPTION_ALGORITHM = 'RSA-2048';
export const DEFAULT_MANIFESTS_DIR = '/etc/kubernetes/manifests';
/** The only CRI endpoint scheme kubeadm accepts on Linux (DefaultContainerRuntimeURLScheme). */
export const CRI_SOCKET_URL_SCHEME = 'unix';
export const CONTROL_PLANE_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' } as const;

export function defaultTimeouts(): Timeouts {
  return {
    controlPlaneComponentHealthCheck: '4m0s',
    kubeletHealthCheck: '4m0s',
    kubernetesAPICall: '1m0s',
    etcdAPICall: '2m0s',
    tlsBootstrap: '5m0s',
    discovery: '5m0s',
    upgradeManifests: '5m0s',
  };
}

export function defaultNodeRegistration(hostname: string): NodeRegistration {
  return {
    name: hostname.toLowerCase(),
    criSocket: DEFAULT_CRI_SOCKET,
    taints: undefined,
    kubeletExtraArgs: [],
    ignorePreflightErrors: [],
    imagePullPolicy: 'IfNotPresent',
    imagePullSerial: true,
  };
}

export function defaultClusterConfiguration(): ClusterConfiguration {
  return {
    kubernetesVersion: KUBERNETES_VERSION,
    clusterName: DEFAULT_CLUSTER_NAME,
    controlPlaneEndpoint: '',
    certificatesDir: DEFAULT_CERTIFICATES_DIR,
    imageRepository: DEFAULT_IMAGE_REPOSITORY,
    encryptionAlgorithm: 'RSA-2048',
    certificateValidityPeriod: DEFAULT_CERT_VALIDITY,
    caCertificateValidityPeriod: DEFAULT_CA_CERT_VALIDITY,
    etcd: {
      local: {
        imageRepository: DEFAULT_IMAGE_REPOSITORY,
        imageTag: ETCD_VERSION,
        dataDir: DEFAULT_ETCD_DATA_DIR,
        extraArgs: [],
        extraEnvs: [],
        serverCertSANs: [],
        peerCertSANs: [],
      },
    },
    networking: { serviceSubnet: DEFAULT_SERVICE_SUBNET, podSubnet: '', dnsDomain: DEFAULT_DNS_DOMAIN },
    apiServer: { extraArgs: [], extraVolumes: [], extraEnvs: [], certSANs: [] },
    controllerManager: { extraArgs: [], extraVolumes: [], extraEnvs: [] },
    scheduler: { extraArgs: [], extraVolumes: [], extraEnvs: [] },
    dns: { disabled: false, imageRepository: `${DEFAULT_IMAGE_REPOSITORY}/coredns`, imageTag: COREDNS_VERSION },
    proxy: { disabled: false },
    featureGates: {},
  };
}

/**
 * @param hostname node name default (kubeadm uses the hostname, lower-cased)
 * @param advertiseAddress kubeadm picks the address of the default-route interface
 */
export function defaultInitConfiguration(hostname: string, advertiseAddress: string): InitConfiguration {
  return {
    bootstrapTokens: [
      { token: '', description: '', ttl: DEFAULT_TOKEN_TTL, usages: [...DEFAULT_TOKEN_USAGES], groups: [DEFAULT_TOKEN_GROUP] },
    ],
    nodeRegistration: defaultNodeRegistration(hostname),
    localAPIEndpoint: { advertiseAddress, bindPort: DEFAULT_API_BIND_PORT },
    certificateKey: '',
    skipPhases: [],
    timeouts: defaultTimeouts(),
  };
}

/** `kubeadm join` defaults: no discovery is set (the config or the flags must give one). */
export function defaultJoinConfiguration(hostname: string): JoinConfiguration {
  return {
    nodeRegistration: defaultNodeRegistration(hostname),
    caCertPath: DEFAULT_CA_CERT_PATH,
    discovery: { tlsBootstrapToken: '' },
    skipPhases: [],
    timeouts: defaultTimeouts(),
  };
}

export function defaultInitConfig(hostname = 'node', advertiseAddress = '127.0.0.1'): InitConfig {
  const init = defaultInitConfiguration(hostname, advertiseAddress);
  const cluster = defaultClusterConfiguration();
  return {
    init,
    cluster,
    kubelet: defaultKubeletConfiguration(cluster),
    kubeProxy: defaultKubeProxyConfiguration(cluster, init.localAPIEndpoint.advertiseAddress),
  };
}

export function defaultJoinConfig(hostname = 'node'): JoinConfig {
  return { join: defaultJoinConfiguration(hostname), kubelet: {} };
}
