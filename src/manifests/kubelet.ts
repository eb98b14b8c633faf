/**
 * The node agent's configuration files: /var/lib/kubelet/config.yaml (the KubeletConfiguration
 * kubeadm writes, componentconfigs/kubelet.go Default(), merged with the user's document) and the
 * systemd unit that runs `kubeforge agent`.
 */
import net from 'node:net';
import path from 'node:path';
import type { InitConfig } from '../config/types.js';
import { validationError } from '../errors.js';
import { bigIntToIp, ipToBigInt, nodeAddresses } from './addresses.js';
import { templateObject, templateText, toYaml } from './templates.js';

export const KUBELET_CONFIG_PATH = '/var/lib/kubelet/config.yaml';
export const SYSTEMD_RESOLVED_RESOLV_CONF = '/run/systemd/resolve/resolv.conf';
const KUBEADM_HEALTHZ_BIND_ADDRESS = '127.0.0.1';

export interface KubeletConfigOptions {
  /** kubeadm points resolvConf at systemd-resolved's file when that service is active. Default false. */
  systemdResolved?: boolean;
}

type Doc = Record<string, unknown>;

/** The KubeletConfiguration object for this node (see `renderKubeletConfig`). */
export function kubeletConfiguration(cfg: InitConfig, options: KubeletConfigOptions = {}): Doc {
  const base = templateObject<Doc>('kubelet-config.yaml');
  const cluster = cfg.cluster;
  base.clusterDNS = [clusterDNSIP(cluster.networking.serviceSubnet)];
  base.clusterDomain = cluster.networking.dnsDomain;
  base.authentication = deepMerge(base.authentication, { x509: { clientCAFile: path.posix.join(cluster.certificatesDir, 'ca.crt') } });
  if (options.systemdResolved) base.resolvConf = SYSTEMD_RESOLVED_RESOLV_CONF;

  const merged = deepMerge(base, cfg.kubelet) as Doc;
  // kubeadm hard-codes certificate rotation on.
  merged.rotateCertificates = true;

  // The loopback rule (addresses.ts): healthz on the node's own loopback address, and the kubelet
  // API (kubeadm: all interfaces) on the advertise address only.
  const { bindAddress } = nodeAddresses(cfg.init.localAPIEndpoint.advertiseAddress);
  if (bindAddress !== undefined) {
    if (merged.healthzBindAddress === KUBEADM_HEALTHZ_BIND_ADDRESS) merged.healthzBindAddress = bindAddress;
    if (merged.address === undefined) merged.address = bindAddress;
  }
  return merged;
}

/** The text of /var/lib/kubelet/config.yaml: kubeadm's KubeletConfiguration merged with `cfg.kubelet`. */
export function renderKubeletConfig(cfg: InitConfig, options: KubeletConfigOptions = {}): string {
  return toYaml(kubeletConfiguration(cfg, options));
}

/** Objects merge key by key; anything else (arrays included) from `override` replaces `base`. */
function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const result: Doc = { ...base };
  for (const [key, value] of Object.entries(override)) result[key] = deepMerge(base[key], value);
  return result;
}

function isPlainObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * kubeadm's GetDNSIP: the tenth address of the (first) service subnet, 10.96.0.10 for 10.96.0.0/12.
 */
export function clusterDNSIP(serviceSubnet: string): string {
  const cidr = serviceSubnet.split(',')[0]?.trim() ?? '';
  const [ip = '', bitsText = ''] = cidr.split('/');
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  const family = net.isIPv4(ip) ? 4 : net.isIPv6(ip) ? 6 : 0;
  const width = family === 4 ? 32 : 128;
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > width || width - bits < 4) {
    throw validationError('KF_MANIFEST_SERVICE_SUBNET', `cannot derive the cluster DNS address from service subnet "${serviceSubnet}"`, {
      hint: 'networking.serviceSubnet must be a CIDR with room for at least 16 addresses, e.g. 10.96.0.0/12',
    });
  }
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - bits)) - 1n);
  const value = (ipToBigInt(ip, family) & mask) + 10n;
  return bigIntToIp(value, family);
}

export interface AgentUnitValues {
  /** The node name, for the description. */
  nodeName: string;
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of bin/kubeforge.js. */
  kubeforge: string;
  /** The node's --root. */
  root: string;
}

/** The systemd unit for `kubeforge agent` (templates/kubeforge-agent.service) with its placeholders filled. */
export function renderAgentUnit(values: AgentUnitValues): string {
  return templateText('kubeforge-agent.service').replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
    const value = (values as unknown as Record<string, unknown>)[name];
    if (typeof value !== 'string' || value === '' || /["\\\n\r]/.test(value)) {
      throw validationError('KF_MANIFEST_UNIT_VALUE', `cannot put ${JSON.stringify(value)} into the agent unit as ${name}`, {
        hint: 'paths and names in the systemd unit must be non-empty and free of quotes, backslashes and newlines',
      });
    }
    // "%" starts a systemd specifier.
    return value.replaceAll('%', '%%');
  });
}
