/**
 * kubeadm's `init` and `join` flags and how they land in the configuration. Unlike kubeadm, which
 * refuses to mix `--config` with most flags ("can not mix '--config' with arguments ..."), a flag
 * here overrides the value from the file. `--ignore-preflight-errors` is merged with the file's list
 * (lower-cased, sorted, de-duplicated) exactly as kubeadm does at runtime.
 */
import { validationError } from '../errors.js';
import { parseGoDurationNs, formatGoDurationNs } from './duration.js';
import { DEFAULT_TOKEN_GROUP, DEFAULT_TOKEN_TTL, DEFAULT_TOKEN_USAGES } from './defaults.js';
import type { InitConfig, JoinConfig } from './types.js';

export interface InitFlags {
  apiserverAdvertiseAddress?: string;
  apiserverBindPort?: number;
  nodeName?: string;
  podNetworkCidr?: string;
  serviceCidr?: string;
  serviceDnsDomain?: string;
  token?: string;
  /** Go duration, e.g. `24h0m0s`; `0` means never expires. */
  tokenTtl?: string;
  certDir?: string;
  kubernetesVersion?: string;
  controlPlaneEndpoint?: string;
  apiserverCertExtraSans?: string[];
  criSocket?: string;
  imageRepository?: string;
  /** `Name=true,Other=false`, as kubeadm's --feature-gates. */
  featureGates?: string;
  uploadCerts?: boolean;
  certificateKey?: string;
  skipPhases?: string[];
  ignorePreflightErrors?: string[];
}

export interface JoinFlags {
  /** The positional `<host>:<port>` argument of `kubeadm join`. */
  apiServerEndpoint?: string;
  /** Sets both the discovery token and the TLS bootstrap token, unless those are given. */
  token?: string;
  discoveryToken?: string;
  discoveryTokenCaCertHash?: string[];
  discoveryTokenUnsafeSkipCaVerification?: boolean;
  discoveryFile?: string;
  tlsBootstrapToken?: string;
  nodeName?: string;
  controlPlane?: boolean;
  certificateKey?: string;
  apiserverAdvertiseAddress?: string;
  apiserverBindPort?: number;
  criSocket?: string;
  ignorePreflightErrors?: string[];
  skipPhases?: string[];
}

/** kubeadm 1.32's feature gates (cmd/kubeadm/app/features). */
export const KUBEADM_FEATURE_GATES = [
  'ControlPlaneKubeletLocalMode',
  'EtcdLearnerMode',
  'PublicKeysECDSA',
  'RootlessControlPlane',
  'WaitForAllControlPlaneComponents',
] as const;

/** Returns a new config with the flags applied over `cfg`. */
export function applyInitFlags(cfg: InitConfig, flags: InitFlags): InitConfig {
  const out = structuredClone(cfg);
  const { init, cluster } = out;
  const set = <T>(value: T | undefined, apply: (v: T) => void) => {
    if (value !== undefined) apply(value);
  };
  set(flags.apiserverAdvertiseAddress, (v) => (init.localAPIEndpoint.advertiseAddress = v));
  set(flags.apiserverBindPort, (v) => (init.localAPIEndpoint.bindPort = v));
  set(flags.nodeName, (v) => (init.nodeRegistration.name = v));
  set(flags.criSocket, (v) => (init.nodeRegistration.criSocket = v));
  set(flags.podNetworkCidr, (v) => (cluster.networking.podSubnet = v));
  set(flags.serviceCidr, (v) => (cluster.networking.serviceSubnet = v));
  set(flags.serviceDnsDomain, (v) => (cluster.networking.dnsDomain = v));
  set(flags.certDir, (v) => (cluster.certificatesDir = v));
  set(flags.kubernetesVersion, (v) => (cluster.kubernetesVersion = /^\d/.test(v) ? `v${v}` : v));
  set(flags.controlPlaneEndpoint, (v) => (cluster.controlPlaneEndpoint = v));
  set(flags.apiserverCertExtraSans, (v) => (cluster.apiServer.certSANs = [...v]));
  set(flags.imageRepository, (v) => (cluster.imageRepository = v));
  set(flags.featureGates, (v) => (cluster.featureGates = { ...cluster.featureGates, ...parseFeatureGates(v) }));
  set(flags.uploadCerts, (v) => (out.uploadCerts = v));
  set(flags.certificateKey, (v) => (init.certificateKey = v));
  set(flags.skipPhases, (v) => (init.skipPhases = [...v]));
  if (flags.token !== undefined || flags.tokenTtl !== undefined) {
    // kubeadm's bootstrap-token flags describe the first token.
    const first = init.bootstrapTokens[0] ?? { token: '', description: '', ttl: DEFAULT_TOKEN_TTL, usages: [...DEFAULT_TOKEN_USAGES], groups: [DEFAULT_TOKEN_GROUP] };
    if (flags.token !== undefined) first.token = flags.token;
    if (flags.tokenTtl !== undefined) {
      first.ttl = normalizeDurationFlag('token-ttl', flags.tokenTtl);
      delete first.expires;
    }
    init.bootstrapTokens[0] = first;
  }
  init.nodeRegistration.ignorePreflightErrors = mergeIgnorePreflightErrors(init.nodeRegistration.ignorePreflightErrors, flags.ignorePreflightErrors);
  return out;
}

/** Returns a new config with the flags applied over `cfg`. */
export function applyJoinFlags(cfg: JoinConfig, flags: JoinFlags): JoinConfig {
  const out = structuredClone(cfg);
  const { join } = out;
  const discovery = join.discovery;
  const tokenDiscovery = () => (discovery.bootstrapToken ??= { token: '', apiServerEndpoint: '', caCertHashes: [], unsafeSkipCAVerification: false });
  const controlPlane = () => (join.controlPlane ??= { localAPIEndpoint: { advertiseAddress: '', bindPort: 6443 }, certificateKey: '' });
  if (flags.apiServerEndpoint !== undefined) tokenDiscovery().apiServerEndpoint = flags.apiServerEndpoint;
  if (flags.discoveryToken !== undefined) tokenDiscovery().token = flags.discoveryToken;
  else if (flags.token !== undefined && (discovery.bootstrapToken || flags.apiServerEndpoint !== undefined)) tokenDiscovery().token = flags.token;
  if (flags.discoveryTokenCaCertHash !== undefined) tokenDiscovery().caCertHashes = [...flags.discoveryTokenCaCertHash];
  if (flags.discoveryTokenUnsafeSkipCaVerification !== undefined) tokenDiscovery().unsafeSkipCAVerification = flags.discoveryTokenUnsafeSkipCaVerification;
  if (flags.discoveryFile !== undefined) discovery.file = { kubeConfigPath: flags.discoveryFile };
  if (flags.tlsBootstrapToken !== undefined) discovery.tlsBootstrapToken = flags.tlsBootstrapToken;
  else if (flags.token !== undefined) discovery.tlsBootstrapToken = flags.token;
  if (discovery.tlsBootstrapToken === '' && discovery.bootstrapToken) discovery.tlsBootstrapToken = discovery.bootstrapToken.token;
  if (flags.nodeName !== undefined) join.nodeRegistration.name = flags.nodeName;
  if (flags.criSocket !== undefined) join.nodeRegistration.criSocket = flags.criSocket;
  if (flags.skipPhases !== undefined) join.skipPhases = [...flags.skipPhases];
  if (flags.controlPlane === false) delete join.controlPlane;
  if (flags.controlPlane === true) controlPlane();
  if (join.controlPlane) {
    if (flags.certificateKey !== undefined) controlPlane().certificateKey = flags.certificateKey;
    if (flags.apiserverAdvertiseAddress !== undefined) controlPlane().localAPIEndpoint.advertiseAddress = flags.apiserverAdvertiseAddress;
    if (flags.apiserverBindPort !== undefined) controlPlane().localAPIEndpoint.bindPort = flags.apiserverBindPort;
  }
  join.nodeRegistration.ignorePreflightErrors = mergeIgnorePreflightErrors(join.nodeRegistration.ignorePreflightErrors, flags.ignorePreflightErrors);
  return out;
}

/** ValidateIgnorePreflightErrors' union: lower-cased, de-duplicated, sorted. */
export function mergeIgnorePreflightErrors(fromConfig: string[], fromFlags: string[] = []): string[] {
  return [...new Set([...fromConfig, ...fromFlags].map((name) => name.toLowerCase()))].sort();
}

/** `--feature-gates=Name=true,Other=false` → a map; unknown names are left to validation. */
export function parseFeatureGates(text: string): Record<string, boolean> {
  const gates: Record<string, boolean> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [name = '', value] = pair.split('=', 2).map((p) => p.trim());
    if (value === undefined) throw flagError('feature-gates', `missing bool value for ${name}`);
    if (!/^(true|false)$/i.test(value)) throw flagError('feature-gates', `invalid value of ${name}=${value}, it must be true or false`);
    gates[name] = value.toLowerCase() === 'true';
  }
  return gates;
}

function normalizeDurationFlag(flag: string, value: string): string {
  const ns = parseGoDurationNs(value);
  if (ns === undefined) throw flagError(flag, `time: invalid duration ${JSON.stringify(value)} (expected a Go duration such as "24h0m0s")`);
  return formatGoDurationNs(ns);
}

function flagError(flag: string, message: string) {
  return validationError('KF_CONFIG_FLAG_INVALID', `invalid argument for "--${flag}" flag: ${message}`, {
    hint: `Fix the value of --${flag}.`,
  });
}
