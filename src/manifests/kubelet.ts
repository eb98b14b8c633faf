/**
 * The node agent's configuration files: /var/lib/kubelet/config.yaml (the KubeletConfiguration
 * kubeadm writes, componentconfigs/kubelet.go Default(), merged with the user's document) and the
 * systemd unit that runs `kubeforge agent`.
 */
import type { InitConfig } from '../config/types.js';
import { validationError } from '../errors.js';
import { mergeDefaults } from '../config/componentconfigs.js';
import { nodeAddresses } from './addresses.js';
import { readTemplate } from '../host/index.js';
import { templateObject, toYaml } from './templates.js';

export const KUBELET_CONFIG_PATH = '/var/lib/kubelet/config.yaml';
export const SYSTEMD_RESOLVED_RESOLV_CONF = '/run/systemd/resolve/resolv.conf';
const KUBEADM_HEALTHZ_BIND_ADDRESS = '127.0.0.1';

export interface KubeletConfigOptions {
  /** kubeadm points resolvConf at systemd-resolved's file when that service is active. Default false. */
  systemdResolved?: boolean;
}

type Doc = Record<string, unknown>;

/**
 * The KubeletConfiguration object for this node: `cfg.kubelet` (kubeadm's defaults with the
 * user's document merged in, from src/config) over the zero values kubeadm's serialiser writes
 * (templates/kubelet-config.yaml), then the loopback rule.
 */
export function kubeletConfiguration(cfg: InitConfig, options: KubeletConfigOptions = {}): Doc {
  return nodeKubeletConfiguration(cfg.kubelet, cfg.init.localAPIEndpoint.advertiseAddress, options);
}

/**
 * A node's KubeletConfiguration from a cluster-wide document (init's `cfg.kubelet`, or the
 * kube-system/kubelet-config ConfigMap a joining node downloads) and the node's own address.
 */
export function nodeKubeletConfiguration(kubelet: Doc, nodeAddress: string, options: KubeletConfigOptions = {}): Doc {
  const merged = mergeDefaults(templateObject<Doc>('kubelet-config.yaml'), kubelet);
  if (options.systemdResolved && merged.resolvConf === undefined) merged.resolvConf = SYSTEMD_RESOLVED_RESOLV_CONF;
  // The loopback rule (addresses.ts): healthz on the node's own loopback address, and the kubelet
  // API (kubeadm: all interfaces) on the advertise address only.
  const { bindAddress } = nodeAddresses(nodeAddress);
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
  return readTemplate('kubeforge-agent.service').replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
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
