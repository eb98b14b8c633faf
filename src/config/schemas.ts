/**
 * The field tables of kubeadm's config kinds (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go and
 * v1beta3/types.go), as data for the strict decoder. v1beta3 is written as the differences from v1beta4.
 */
import type { FieldSchema, ObjectSchema } from './decode.js';

export const KUBEADM_GROUP = 'kubeadm.k8s.io';
export const V1BETA4 = `${KUBEADM_GROUP}/v1beta4`;
export const V1BETA3 = `${KUBEADM_GROUP}/v1beta3`;
export const KUBELET_API_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const KUBE_PROXY_API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';

const str = 'string';
const strings: FieldSchema = { list: 'string' };
const typeMeta: ObjectSchema = { apiVersion: str, kind: str };
const args: FieldSchema = { list: { object: { name: str, value: str } } };
const envs: FieldSchema = { list: { object: { name: str, value: str, valueFrom: 'any' } } };
const volumes: FieldSchema = {
  list: { object: { name: str, hostPath: str, mountPath: str, readOnly: 'bool', pathType: str } },
};
const apiEndpoint: FieldSchema = { object: { advertiseAddress: str, bindPort: 'int' } };
const taints: FieldSchema = { list: { object: { key: str, value: str, effect: str, timeAdded: str } } };
const patches: FieldSchema = { object: { directory: str } };
const bootstrapToken: FieldSchema = {
  object: { token: str, description: str, ttl: 'duration', expires: str, usages: strings, groups: strings },
};
const timeouts: FieldSchema = {
  object: {
    controlPlaneComponentHealthCheck: 'duration',
    kubeletHealthCheck: 'duration',
    kubernetesAPICall: 'duration',
    etcdAPICall: 'duration',
    tlsBootstrap: 'duration',
    discovery: 'duration',
    upgradeManifests: 'duration',
  },
};

const nodeRegistrationV1beta4: ObjectSchema = {
  name: str,
  criSocket: str,
  taints,
  kubeletExtraArgs: args,
  ignorePreflightErrors: strings,
  imagePullPolicy: str,
  imagePullSerial: 'bool',
};

const component = (extra: ObjectSchema = {}): FieldSchema => ({
  object: { extraArgs: args, extraVolumes: volumes, extraEnvs: envs, ...extra },
});

const localEtcdV1beta4: ObjectSchema = {
  imageRepository: str,
  imageTag: str,
  dataDir: str,
  extraArgs: args,
  extraEnvs: envs,
  serverCertSANs: strings,
  peerCertSANs: strings,
};

const discoveryV1beta4: ObjectSchema = {
  bootstrapToken: {
    object: { token: str, apiServerEndpoint: str, caCertHashes: strings, unsafeSkipCAVerification: 'bool' },
  },
  file: { object: { kubeConfigPath: str } },
  tlsBootstrapToken: str,
};

const initV1beta4: ObjectSchema = {
  ...typeMeta,
  bootstrapTokens: { list: bootstrapToken },
  dryRun: 'bool',
  nodeRegistration: { object: nodeRegistrationV1beta4 },
  localAPIEndpoint: apiEndpoint,
  certificateKey: str,
  skipPhases: strings,
  patches,
  timeouts,
};

const clusterV1beta4: ObjectSchema = {
  ...typeMeta,
  etcd: {
    object: {
      local: { object: localEtcdV1beta4 },
      external: { object: { endpoints: strings, caFile: str, certFile: str, keyFile: str } },
    },
  },
  networking: { object: { serviceSubnet: str, podSubnet: str, dnsDomain: str } },
  kubernetesVersion: str,
  controlPlaneEndpoint: str,
  apiServer: component({ certSANs: strings }),
  controllerManager: component(),
  scheduler: component(),
  dns: { object: { imageRepository: str, imageTag: str, disabled: 'bool' } },
  proxy: { object: { disabled: 'bool' } },
  certificatesDir: str,
  imageRepository: str,
  featureGates: { map: 'bool' },
  clusterName: str,
  encryptionAlgorithm: str,
  certificateValidityPeriod: 'duration',
  caCertificateValidityPeriod: 'duration',
};

const joinV1beta4: ObjectSchema = {
  ...typeMeta,
  dryRun: 'bool',
  nodeRegistration: { object: nodeRegistrationV1beta4 },
  caCertPath: str,
  discovery: { object: discoveryV1beta4 },
  controlPlane: { object: { localAPIEndpoint: apiEndpoint, certificateKey: str } },
  skipPhases: strings,
  patches,
  timeouts,
};

// v1beta3: extraArgs are string maps, no extraEnvs/imagePullSerial/dryRun/timeouts/proxy/
// encryptionAlgorithm/validity periods; apiServer.timeoutForControlPlane and discovery.timeout exist.
const argMap: FieldSchema = { map: 'string' };
const { imagePullSerial: _serial, ...nodeRegistrationRest } = nodeRegistrationV1beta4;
const nodeRegistrationV1beta3: ObjectSchema = { ...nodeRegistrationRest, kubeletExtraArgs: argMap };
const componentV1beta3 = (extra: ObjectSchema = {}): FieldSchema => ({
  object: { extraArgs: argMap, extraVolumes: volumes, ...extra },
});
const { extraEnvs: _etcdEnvs, ...localEtcdRest } = localEtcdV1beta4;

const { dryRun: _initDryRun, timeouts: _initTimeouts, ...initRest } = initV1beta4;
const initV1beta3: ObjectSchema = { ...initRest, nodeRegistration: { object: nodeRegistrationV1beta3 } };

const {
  proxy: _proxy,
  encryptionAlgorithm: _algorithm,
  certificateValidityPeriod: _leaf,
  caCertificateValidityPeriod: _ca,
  ...clusterRest
} = clusterV1beta4;
const clusterV1beta3: ObjectSchema = {
  ...clusterRest,
  etcd: {
    object: {
      local: { object: { ...localEtcdRest, extraArgs: argMap } },
      external: { object: { endpoints: strings, caFile: str, certFile: str, keyFile: str } },
    },
  },
  apiServer: componentV1beta3({ certSANs: strings, timeoutForControlPlane: 'duration' }),
  controllerManager: componentV1beta3(),
  scheduler: componentV1beta3(),
  dns: { object: { imageRepository: str, imageTag: str } },
};

const { dryRun: _joinDryRun, timeouts: _joinTimeouts, ...joinRest } = joinV1beta4;
const joinV1beta3: ObjectSchema = {
  ...joinRest,
  nodeRegistration: { object: nodeRegistrationV1beta3 },
  discovery: { object: { ...discoveryV1beta4, timeout: 'duration' } },
};

export type KubeadmKind = 'InitConfiguration' | 'ClusterConfiguration' | 'JoinConfiguration';
export type KubeadmVersion = typeof V1BETA4 | typeof V1BETA3;

export const KUBEADM_SCHEMAS: Record<KubeadmVersion, Record<KubeadmKind, ObjectSchema>> = {
  [V1BETA4]: { InitConfiguration: initV1beta4, ClusterConfiguration: clusterV1beta4, JoinConfiguration: joinV1beta4 },
  [V1BETA3]: { InitConfiguration: initV1beta3, ClusterConfiguration: clusterV1beta3, JoinConfiguration: joinV1beta3 },
};

/** kubeadm kinds that may share a file with init/join documents and are skipped with a warning. */
export const IGNORED_KUBEADM_KINDS = ['ResetConfiguration', 'UpgradeConfiguration'];

/** API versions kubeadm 1.32 no longer reads, with the kubeadm release that can still migrate them. */
export const OLD_KUBEADM_VERSIONS: Record<string, string> = {
  [`${KUBEADM_GROUP}/v1alpha1`]: 'v1.11',
  [`${KUBEADM_GROUP}/v1alpha2`]: 'v1.12',
  [`${KUBEADM_GROUP}/v1alpha3`]: 'v1.14',
  [`${KUBEADM_GROUP}/v1beta1`]: 'v1.21',
  [`${KUBEADM_GROUP}/v1beta2`]: 'v1.26',
};
