/**
 * The internal, fully defaulted configuration every phase reads. It has the shape of kubeadm's
 * v1beta4 API (the newest); the decoder converts v1beta3 into it and fills every default, so
 * inner code never sees an optional field kubeadm would have defaulted.
 */

/** v1beta4 `extraArgs`: an ordered list (v1beta3's map converts into it). */
export interface Arg {
  name: string;
  value: string;
}

export interface EnvVar {
  name: string;
  value: string;
  /** corev1.EnvVarSource, passed through unchanged. */
  valueFrom?: Record<string, unknown>;
}

export interface HostPathMount {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
  pathType: string;
}

export interface ControlPlaneComponent {
  extraArgs: Arg[];
  extraVolumes: HostPathMount[];
  extraEnvs: EnvVar[];
}

export interface APIServer extends ControlPlaneComponent {
  certSANs: string[];
}

export type EncryptionAlgorithm = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'ECDSA-P256';

export interface LocalEtcd {
  imageRepository: string;
  imageTag: string;
  dataDir: string;
  extraArgs: Arg[];
  extraEnvs: EnvVar[];
  serverCertSANs: string[];
  peerCertSANs: string[];
}

export interface ExternalEtcd {
  endpoints: string[];
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface Etcd {
  local?: LocalEtcd;
  external?: ExternalEtcd;
}

export interface Networking {
  serviceSubnet: string;
  podSubnet: string;
  dnsDomain: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface NodeRegistration {
  name: string;
  criSocket: string;
  /** undefined means kubeadm's default (control-plane taint on control-plane nodes). */
  taints: Taint[] | undefined;
  kubeletExtraArgs: Arg[];
  ignorePreflightErrors: string[];
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSerial: boolean;
}

export interface APIEndpoint {
  advertiseAddress: string;
  bindPort: number;
}

export interface BootstrapToken {
  /** `<id>.<secret>` (src/token's BOOTSTRAP_TOKEN_PATTERN). */
  token: string;
  description: string;
  /** Go duration string, e.g. `24h0m0s`; ignored when `expires` is set. */
  ttl: string;
  expires?: string;
  usages: string[];
  groups: string[];
}

export interface Timeouts {
  controlPlaneComponentHealthCheck: string;
  kubeletHealthCheck: string;
  kubernetesAPICall: string;
  etcdAPICall: string;
  tlsBootstrap: string;
  discovery: string;
  upgradeManifests: string;
}

export interface ClusterConfiguration {
  kubernetesVersion: string;
  clusterName: string;
  controlPlaneEndpoint: string;
  certificatesDir: string;
  imageRepository: string;
  encryptionAlgorithm: EncryptionAlgorithm;
  /** Go duration strings, as in the config file: `8760h0m0s`, `87600h0m0s`. */
  certificateValidityPeriod: string;
  caCertificateValidityPeriod: string;
  etcd: Etcd;
  networking: Networking;
  apiServer: APIServer;
  controllerManager: ControlPlaneComponent;
  scheduler: ControlPlaneComponent;
  dns: { disabled: boolean; imageRepository: string; imageTag: string };
  proxy: { disabled: boolean };
  featureGates: Record<string, boolean>;
}

export interface InitConfiguration {
  bootstrapTokens: BootstrapToken[];
  nodeRegistration: NodeRegistration;
  localAPIEndpoint: APIEndpoint;
  certificateKey: string;
  skipPhases: string[];
  timeouts: Timeouts;
  dryRun?: boolean;
  patches?: Patches;
}

/** `patches.directory`: kubeadm's patch files for the static pods and the kubelet config. */
export interface Patches {
  directory: string;
}

export interface JoinControlPlane {
  localAPIEndpoint: APIEndpoint;
  certificateKey: string;
}

export interface Discovery {
  bootstrapToken?: {
    token: string;
    apiServerEndpoint: string;
    caCertHashes: string[];
    unsafeSkipCAVerification: boolean;
  };
  file?: { kubeConfigPath: string };
  tlsBootstrapToken: string;
}

export interface JoinConfiguration {
  nodeRegistration: NodeRegistration;
  caCertPath: string;
  discovery: Discovery;
  controlPlane?: JoinControlPlane;
  skipPhases: string[];
  timeouts: Timeouts;
  dryRun?: boolean;
  patches?: Patches;
}

/** Everything `init` reads: the two kubeadm documents plus the component configs passed beside them. */
export interface InitConfig {
  init: InitConfiguration;
  cluster: ClusterConfiguration;
  /** KubeletConfiguration document (kubelet.config.k8s.io/v1beta1), defaulted. */
  kubelet: Record<string, unknown>;
  /** KubeProxyConfiguration document (kubeproxy.config.k8s.io/v1alpha1), defaulted. */
  kubeProxy: Record<string, unknown>;
  /** `--upload-certs`: store the control-plane certificates in the kubeadm-certs Secret. */
  uploadCerts?: boolean;
}

/** Everything `join` reads. */
export interface JoinConfig {
  join: JoinConfiguration;
  /**
   * A KubeletConfiguration document given beside the JoinConfiguration (kubelet.config.k8s.io/v1beta1),
   * as written; empty when none. The cluster's kubelet-config ConfigMap is the usual source on join.
   */
  kubelet: Record<string, unknown>;
}
