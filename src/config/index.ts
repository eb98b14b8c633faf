/**
 * src/config: kubeadm's configuration, v1beta4 and v1beta3.
 *
 *   yaml.ts            safe multi-document YAML (size limit, alias-bomb guard, line/column errors)
 *   decode.ts          strict typed decoding against the field tables in schemas.ts
 *   convert.ts         decoded v1beta4/v1beta3 → internal types (types.ts) with kubeadm's defaults (defaults.ts)
 *   componentconfigs.ts KubeletConfiguration / KubeProxyConfiguration defaults and merge
 *   flags.ts           init/join flags and how they override the file
 *   load.ts            loadInitConfig / loadJoinConfig: the whole --config pipeline
 *   validation.ts, rules.ts, fielderrors.ts   kubeadm's validation with its field paths
 *   print.ts           `config print init-defaults` / `join-defaults`
 *   duration.ts        Go durations (no dependencies)
 *   net.ts             IP/CIDR/DNS-name helpers
 */
export * from './types.js';
export * from './defaults.js';
export * from './duration.js';
export { parseYamlDocuments, MAX_CONFIG_BYTES, MAX_EXPANDED_NODES, MAX_NESTING_DEPTH } from './yaml.js';
export { decodeObject, type FieldSchema, type ObjectSchema, type DecodeIssue } from './decode.js';
export * from './schemas.js';
export {
  apiServerServiceIP,
  clusterDNSIP,
  defaultKubeletConfiguration,
  defaultKubeProxyConfiguration,
  kubeletConfiguration,
  kubeProxyConfiguration,
  KUBELET_HEALTHZ_PORT,
  KUBE_PROXY_KUBECONFIG,
  DEFAULT_CLUSTER_DNS_IP,
} from './componentconfigs.js';
export { toClusterConfiguration, toInitConfiguration, toJoinConfiguration, normalizeVersion } from './convert.js';
export * from './flags.js';
export { loadInitConfig, loadJoinConfig, type LoadOptions, type LoadInitOptions, type LoadJoinOptions } from './load.js';
export {
  validateInitConfig,
  validateJoinConfig,
  initConfigErrors,
  joinConfigErrors,
  ENCRYPTION_ALGORITHMS,
  MIN_SERVICE_SUBNET_ADDRESSES,
  MAX_SERVICE_SUBNET_HOST_BITS,
} from './validation.js';
export { redactToken } from './fielderrors.js';
export * from './print.js';
export { parseIP, parseCIDR, parseCIDRList, indexedIP, formatIP, formatCIDR, rangeSize, parseHostPort, dns1123SubdomainErrors } from './net.js';
