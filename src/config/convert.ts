/**
 * Decoded v1beta4/v1beta3 documents → the internal (v1beta4-shaped, fully defaulted) types.
 * Follows kubeadm's conversion (v1beta3/conversion.go): extraArgs maps become name/value lists
 * sorted by name then value; `apiServer.timeoutForControlPlane` becomes
 * `timeouts.controlPlaneComponentHealthCheck`; `discovery.timeout` becomes `timeouts.discovery`;
 * v1beta3 has no encryptionAlgorithm/validity periods/imagePullSerial, which take their defaults.
 * Defaulting follows v1beta4/defaults.go: an empty string means "unset".
 */
import type { Decoded } from './decode.js';
import {
  DEFAULT_IMAGE_REPOSITORY,
  defaultClusterConfiguration,
  defaultInitConfiguration,
  defaultJoinConfiguration,
  defaultTimeouts,
  DEFAULT_TOKEN_GROUP,
  DEFAULT_TOKEN_TTL,
  DEFAULT_TOKEN_USAGES,
} from './defaults.js';
import type {
  APIEndpoint,
  Arg,
  BootstrapToken,
  ClusterConfiguration,
  ControlPlaneComponent,
  EncryptionAlgorithm,
  EnvVar,
  HostPathMount,
  InitConfiguration,
  JoinConfiguration,
  NodeRegistration,
  Taint,
  Timeouts,
} from './types.js';

type Version = 'v1beta4' | 'v1beta3';

const obj = (d: Decoded | undefined, key: string): Decoded | undefined => {
  const value = d?.[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Decoded) : undefined;
};
const str = (d: Decoded | undefined, key: string, fallback: string): string => {
  const value = d?.[key];
  return typeof value === 'string' && value !== '' ? value : fallback;
};
const num = (d: Decoded | undefined, key: string, fallback: number): number => {
  const value = d?.[key];
  return typeof value === 'number' && value !== 0 ? value : fallback;
};
const bool = (d: Decoded | undefined, key: string, fallback: boolean): boolean => {
  const value = d?.[key];
  return typeof value === 'boolean' ? value : fallback;
};
const list = (d: Decoded | undefined, key: string): Decoded[] | undefined => {
  const value = d?.[key];
  return Array.isArray(value) ? value.map((item) => (item ?? {}) as Decoded) : undefined;
};
const strings = (d: Decoded | undefined, key: string, fallback: string[]): string[] => {
  const value = d?.[key];
  return Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item : '')) : [...fallback];
};

/** v1beta4 `[{name, value}]` or v1beta3 `{name: value}` (sorted, as convertToArgs does). */
function toArgs(d: Decoded | undefined, key: string, version: Version): Arg[] {
  if (version === 'v1beta4') return (list(d, key) ?? []).map((a) => ({ name: str(a, 'name', ''), value: str(a, 'value', '') }));
  const map = obj(d, key) ?? {};
  return Object.entries(map)
    .map(([name, value]) => ({ name, value: typeof value === 'string' ? value : '' }))
    .sort((a, b) => (a.name === b.name ? compare(a.value, b.value) : compare(a.name, b.name)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toEnvs(d: Decoded | undefined, key: string): EnvVar[] {
  return (list(d, key) ?? []).map((e) => {
    const env: EnvVar = { name: str(e, 'name', ''), value: str(e, 'value', '') };
    const valueFrom = obj(e, 'valueFrom');
    if (valueFrom) env.valueFrom = valueFrom;
    return env;
  });
}

function toVolumes(d: Decoded | undefined): HostPathMount[] {
  return (list(d, 'extraVolumes') ?? []).map((v) => ({
    name: str(v, 'name', ''),
    hostPath: str(v, 'hostPath', ''),
    mountPath: str(v, 'mountPath', ''),
    readOnly: bool(v, 'readOnly', false),
    pathType: str(v, 'pathType', ''),
  }));
}

function toComponent(d: Decoded | undefined, version: Version): ControlPlaneComponent {
  return { extraArgs: toArgs(d, 'extraArgs', version), extraVolumes: toVolumes(d), extraEnvs: toEnvs(d, 'extraEnvs') };
}

function toTaints(d: Decoded | undefined): Taint[] | undefined {
  const taints = list(d, 'taints');
  return taints?.map((t) => {
    const taint: Taint = { key: str(t, 'key', ''), effect: str(t, 'effect', '') as Taint['effect'] };
    if (typeof t.value === 'string') taint.value = t.value;
    if (typeof t.timeAdded === 'string') taint.timeAdded = t.timeAdded;
    return taint;
  });
}

function toNodeRegistration(d: Decoded | undefined, base: NodeRegistration, version: Version): NodeRegistration {
  return {
    name: str(d, 'name', base.name),
    criSocket: str(d, 'criSocket', base.criSocket),
    taints: toTaints(d),
    kubeletExtraArgs: toArgs(d, 'kubeletExtraArgs', version),
    ignorePreflightErrors: strings(d, 'ignorePreflightErrors', []),
    imagePullPolicy: str(d, 'imagePullPolicy', base.imagePullPolicy) as NodeRegistration['imagePullPolicy'],
    // v1beta3 has no imagePullSerial; its conversion sets true.
    imagePullSerial: bool(d, 'imagePullSerial', true),
  };
}

function toAPIEndpoint(d: Decoded | undefined, base: APIEndpoint): APIEndpoint {
  return { advertiseAddress: str(d, 'advertiseAddress', base.advertiseAddress), bindPort: num(d, 'bindPort', base.bindPort) };
}

function toTimeouts(d: Decoded | undefined): Timeouts {
  const base = defaultTimeouts();
  const out = { ...base };
  for (const key of Object.keys(base) as (keyof Timeouts)[]) out[key] = str(d, key, base[key]);
  return out;
}

function toBootstrapToken(d: Decoded): BootstrapToken {
  const token: BootstrapToken = {
    token: str(d, 'token', ''),
    description: str(d, 'description', ''),
    // kubeadm defaults ttl even when expires is set; then validation reports both as set. Defaulting
    // ttl only without expires makes `expires` usable on its own.
    ttl: str(d, 'ttl', typeof d.expires === 'string' ? '' : DEFAULT_TOKEN_TTL),
    usages: strings(d, 'usages', []),
    groups: strings(d, 'groups', []),
  };
  if (token.usages.length === 0) token.usages = [...DEFAULT_TOKEN_USAGES];
  if (token.groups.length === 0) token.groups = [DEFAULT_TOKEN_GROUP];
  if (typeof d.expires === 'string') token.expires = d.expires;
  return token;
}

function toPatches(d: Decoded | undefined): { directory: string } | undefined {
  const patches = obj(d, 'patches');
  return patches ? { directory: str(patches, 'directory', '') } : undefined;
}

export function toInitConfiguration(d: Decoded | undefined, version: Version, hostname: string, advertiseAddress: string, cluster?: Decoded): InitConfiguration {
  const base = defaultInitConfiguration(hostname, advertiseAddress);
  const tokens = list(d, 'bootstrapTokens');
  const init: InitConfiguration = {
    bootstrapTokens: tokens && tokens.length > 0 ? tokens.map(toBootstrapToken) : base.bootstrapTokens,
    nodeRegistration: toNodeRegistration(obj(d, 'nodeRegistration'), base.nodeRegistration, version),
    localAPIEndpoint: toAPIEndpoint(obj(d, 'localAPIEndpoint'), base.localAPIEndpoint),
    certificateKey: str(d, 'certificateKey', ''),
    skipPhases: strings(d, 'skipPhases', []),
    timeouts: toTimeouts(obj(d, 'timeouts')),
  };
  // A v1beta3 ClusterConfiguration's apiServer.timeoutForControlPlane moves here (SetConversionTimeoutControlPlane).
  const legacyTimeout = str(obj(cluster, 'apiServer'), 'timeoutForControlPlane', '');
  if (legacyTimeout !== '' && legacyTimeout !== '0s') init.timeouts.controlPlaneComponentHealthCheck = legacyTimeout;
  if (bool(d, 'dryRun', false)) init.dryRun = true;
  const patches = toPatches(d);
  if (patches) init.patches = patches;
  return init;
}

export function toClusterConfiguration(d: Decoded | undefined, version: Version): ClusterConfiguration {
  const base = defaultClusterConfiguration();
  const imageRepository = str(d, 'imageRepository', base.imageRepository);
  const etcd = obj(d, 'etcd');
  const external = obj(etcd, 'external');
  const local = obj(etcd, 'local');
  const networking = obj(d, 'networking');
  const dns = obj(d, 'dns');
  const apiServer = obj(d, 'apiServer');
  const cluster: ClusterConfiguration = {
    kubernetesVersion: normalizeVersion(str(d, 'kubernetesVersion', base.kubernetesVersion)),
    clusterName: str(d, 'clusterName', base.clusterName),
    controlPlaneEndpoint: str(d, 'controlPlaneEndpoint', ''),
    certificatesDir: str(d, 'certificatesDir', base.certificatesDir),
    imageRepository,
    encryptionAlgorithm: str(d, 'encryptionAlgorithm', base.encryptionAlgorithm) as EncryptionAlgorithm,
    certificateValidityPeriod: str(d, 'certificateValidityPeriod', base.certificateValidityPeriod),
    caCertificateValidityPeriod: str(d, 'caCertificateValidityPeriod', base.caCertificateValidityPeriod),
    etcd: {},
    networking: {
      serviceSubnet: str(networking, 'serviceSubnet', base.networking.serviceSubnet),
      podSubnet: str(networking, 'podSubnet', ''),
      dnsDomain: str(networking, 'dnsDomain', base.networking.dnsDomain),
    },
    apiServer: { ...toComponent(apiServer, version), certSANs: strings(apiServer, 'certSANs', []) },
    controllerManager: toComponent(obj(d, 'controllerManager'), version),
    scheduler: toComponent(obj(d, 'scheduler'), version),
    dns: {
      disabled: bool(dns, 'disabled', false),
      // images.GetDNSImage: the cluster repository, with `/coredns` appended for registry.k8s.io.
      imageRepository: str(dns, 'imageRepository', imageRepository === DEFAULT_IMAGE_REPOSITORY ? `${imageRepository}/coredns` : imageRepository),
      imageTag: str(dns, 'imageTag', base.dns.imageTag),
    },
    proxy: { disabled: bool(obj(d, 'proxy'), 'disabled', false) },
    featureGates: { ...((obj(d, 'featureGates') ?? {}) as Record<string, boolean>) },
  };
  if (external) {
    cluster.etcd.external = {
      endpoints: strings(external, 'endpoints', []),
      caFile: str(external, 'caFile', ''),
      certFile: str(external, 'certFile', ''),
      keyFile: str(external, 'keyFile', ''),
    };
  }
  if (local || !external) {
    const baseLocal = base.etcd.local!;
    cluster.etcd.local = {
      imageRepository: str(local, 'imageRepository', imageRepository),
      imageTag: str(local, 'imageTag', baseLocal.imageTag),
      dataDir: str(local, 'dataDir', baseLocal.dataDir),
      extraArgs: toArgs(local, 'extraArgs', version),
      extraEnvs: toEnvs(local, 'extraEnvs'),
      serverCertSANs: strings(local, 'serverCertSANs', []),
      peerCertSANs: strings(local, 'peerCertSANs', []),
    };
  }
  return cluster;
}

export function toJoinConfiguration(d: Decoded | undefined, version: Version, hostname: string): JoinConfiguration {
  const base = defaultJoinConfiguration(hostname);
  const discovery = obj(d, 'discovery');
  const tokenDiscovery = obj(discovery, 'bootstrapToken');
  const fileDiscovery = obj(discovery, 'file');
  const join: JoinConfiguration = {
    nodeRegistration: toNodeRegistration(obj(d, 'nodeRegistration'), base.nodeRegistration, version),
    caCertPath: str(d, 'caCertPath', base.caCertPath),
    discovery: { tlsBootstrapToken: str(discovery, 'tlsBootstrapToken', '') },
    skipPhases: strings(d, 'skipPhases', []),
    timeouts: toTimeouts(obj(d, 'timeouts')),
  };
  if (tokenDiscovery) {
    join.discovery.bootstrapToken = {
      token: str(tokenDiscovery, 'token', ''),
      apiServerEndpoint: str(tokenDiscovery, 'apiServerEndpoint', ''),
      caCertHashes: strings(tokenDiscovery, 'caCertHashes', []),
      unsafeSkipCAVerification: bool(tokenDiscovery, 'unsafeSkipCAVerification', false),
    };
  }
  if (fileDiscovery) join.discovery.file = { kubeConfigPath: fileURLToPath(str(fileDiscovery, 'kubeConfigPath', '')) };
  const legacyTimeout = str(discovery, 'timeout', '');
  if (version === 'v1beta3' && legacyTimeout !== '') join.timeouts.discovery = legacyTimeout;
  const controlPlane = obj(d, 'controlPlane');
  if (controlPlane) {
    join.controlPlane = {
      localAPIEndpoint: toAPIEndpoint(obj(controlPlane, 'localAPIEndpoint'), { advertiseAddress: '', bindPort: 6443 }),
      certificateKey: str(controlPlane, 'certificateKey', ''),
    };
  }
  if (bool(d, 'dryRun', false)) join.dryRun = true;
  const patches = toPatches(d);
  if (patches) join.patches = patches;
  applyJoinDynamicDefaults(join);
  return join;
}

/** SetDefaults_Discovery: the TLS bootstrap token defaults to the discovery token. */
export function applyJoinDynamicDefaults(join: JoinConfiguration): void {
  if (join.discovery.tlsBootstrapToken === '' && join.discovery.bootstrapToken) {
    join.discovery.tlsBootstrapToken = join.discovery.bootstrapToken.token;
  }
}

/** SetDefaults_FileDiscovery: a `file://` URL becomes its path. */
function fileURLToPath(path: string): string {
  return path.startsWith('file://') ? new URL(path).pathname : path;
}

/** kubeadm normalises `1.32.0` to `v1.32.0` (NormalizeKubernetesVersion). */
export function normalizeVersion(version: string): string {
  return /^\d+\.\d+/.test(version) ? `v${version}` : version;
}
