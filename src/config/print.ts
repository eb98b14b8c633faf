/**
 * `kubeadm config print init-defaults` / `join-defaults` for v1beta4: the defaulted documents with
 * kubeadm's placeholders (token abcdef.0123456789abcdef, advertise address 1.2.3.4, node name
 * `node`, API server kube-apiserver:6443), marshalled the way sigs.k8s.io/yaml does it (keys sorted,
 * lists not indented, empty objects as `{}`, omitempty fields left out).
 */
import yaml from 'js-yaml';
import {
  DEFAULT_API_BIND_PORT,
  DEFAULT_CA_CERT_PATH,
  DEFAULT_CA_CERT_VALIDITY,
  DEFAULT_CERT_VALIDITY,
  DEFAULT_CERTIFICATES_DIR,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_CRI_SOCKET,
  DEFAULT_DNS_DOMAIN,
  DEFAULT_ENCRYPTION_ALGORITHM,
  DEFAULT_ETCD_DATA_DIR,
  DEFAULT_IMAGE_REPOSITORY,
  DEFAULT_SERVICE_SUBNET,
  DEFAULT_TOKEN_GROUP,
  DEFAULT_TOKEN_TTL,
  DEFAULT_TOKEN_USAGES,
  defaultTimeouts,
  KUBERNETES_VERSION,
} from './defaults.js';
import { V1BETA4 } from './schemas.js';
import type { ClusterConfiguration } from './types.js';

export const PLACEHOLDER_TOKEN = 'abcdef.0123456789abcdef';
export const PLACEHOLDER_ADVERTISE_ADDRESS = '1.2.3.4';
export const PLACEHOLDER_NODE_NAME = 'node';
export const PLACEHOLDER_API_SERVER_ENDPOINT = 'kube-apiserver:6443';

const placeholderNodeRegistration = () => ({
  criSocket: DEFAULT_CRI_SOCKET,
  imagePullPolicy: 'IfNotPresent',
  imagePullSerial: true,
  name: PLACEHOLDER_NODE_NAME,
  taints: null,
});

export function printInitDefaults(): string {
  const init = {
    apiVersion: V1BETA4,
    bootstrapTokens: [{ groups: [DEFAULT_TOKEN_GROUP], token: PLACEHOLDER_TOKEN, ttl: DEFAULT_TOKEN_TTL, usages: [...DEFAULT_TOKEN_USAGES] }],
    kind: 'InitConfiguration',
    localAPIEndpoint: { advertiseAddress: PLACEHOLDER_ADVERTISE_ADDRESS, bindPort: DEFAULT_API_BIND_PORT },
    nodeRegistration: placeholderNodeRegistration(),
    timeouts: defaultTimeouts(),
  };
  const cluster = {
    apiServer: {},
    apiVersion: V1BETA4,
    caCertificateValidityPeriod: DEFAULT_CA_CERT_VALIDITY,
    certificateValidityPeriod: DEFAULT_CERT_VALIDITY,
    certificatesDir: DEFAULT_CERTIFICATES_DIR,
    clusterName: DEFAULT_CLUSTER_NAME,
    controllerManager: {},
    dns: {},
    encryptionAlgorithm: DEFAULT_ENCRYPTION_ALGORITHM,
    etcd: { local: { dataDir: DEFAULT_ETCD_DATA_DIR } },
    imageRepository: DEFAULT_IMAGE_REPOSITORY,
    kind: 'ClusterConfiguration',
    // kubeadm prints constants.CurrentKubernetesVersion without the leading "v".
    kubernetesVersion: KUBERNETES_VERSION.replace(/^v/, ''),
    networking: { dnsDomain: DEFAULT_DNS_DOMAIN, serviceSubnet: DEFAULT_SERVICE_SUBNET },
    proxy: {},
    scheduler: {},
  };
  return [init, cluster].map(marshal).join('---\n');
}

export function printJoinDefaults(): string {
  return marshal({
    apiVersion: V1BETA4,
    caCertPath: DEFAULT_CA_CERT_PATH,
    discovery: {
      bootstrapToken: { apiServerEndpoint: PLACEHOLDER_API_SERVER_ENDPOINT, token: PLACEHOLDER_TOKEN, unsafeSkipCAVerification: true },
      tlsBootstrapToken: PLACEHOLDER_TOKEN,
    },
    kind: 'JoinConfiguration',
    nodeRegistration: placeholderNodeRegistration(),
    timeouts: defaultTimeouts(),
  });
}

/** sigs.k8s.io/yaml's output style. */
export function marshal(value: unknown): string {
  return yaml.dump(value, { sortKeys: true, noArrayIndent: true, lineWidth: -1, noRefs: true });
}

/** Drops empty lists, empty objects and empty strings, as omitempty does in kubeadm's types. */
function omitEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? value.map(omitEmpty) : undefined;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, omitEmpty(v)] as const).filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value === '' ? undefined : value;
}

/**
 * The v1beta4 ClusterConfiguration document kubeadm uploads to `kube-system/kubeadm-config`
 * (and that `join` downloads): the internal config with its apiVersion and kind, empty fields
 * left out.
 */
export function marshalClusterConfiguration(cluster: ClusterConfiguration): string {
  const { apiServer, controllerManager, scheduler, dns, proxy, ...rest } = cluster;
  return marshal({
    apiVersion: V1BETA4,
    kind: 'ClusterConfiguration',
    ...(omitEmpty(rest) as object),
    // these sections are always present in kubeadm's output, even when empty
    apiServer: omitEmpty(apiServer) ?? {},
    controllerManager: omitEmpty(controllerManager) ?? {},
    scheduler: omitEmpty(scheduler) ?? {},
    dns: omitEmpty(dns) ?? {},
    proxy: omitEmpty(proxy) ?? {},
  });
}
