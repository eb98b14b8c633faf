/**
 * kube-proxy's command line and KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1, the
 * `config.conf` of kubeadm's kube-proxy ConfigMap), reduced to what the bundled proxy uses.
 * Flags override the file as upstream's do. Only iptables mode is bundled: another mode is
 * refused rather than silently proxied differently.
 */
import os from 'node:os';
import { parseGoDuration } from '../config/duration.js';
import { validationError } from '../errors.js';
import type { FileHost } from '../host/index.js';
import { acceptedFlag, flag, parseFlags, type FlagSpec } from '../controlplane/common/flags.js';
import { loadYaml } from '../safe-yaml.js';

export const KUBE_PROXY_FLAGS: readonly FlagSpec[] = [
  flag('config'),
  flag('kubeconfig'),
  flag('hostname-override'),
  flag('cluster-cidr'),
  flag('proxy-mode'),
  flag('iptables-min-sync-period', 'duration'),
  flag('iptables-sync-period', 'duration'),
  flag('cleanup', 'bool', 'false'),
  flag('v', 'int', '0', 'v'),
  acceptedFlag('master'),
  acceptedFlag('bind-address'),
  acceptedFlag('healthz-bind-address'),
  acceptedFlag('metrics-bind-address'),
  acceptedFlag('masquerade-all', 'bool'),
  acceptedFlag('feature-gates', 'list'),
  acceptedFlag('conntrack-max-per-core', 'int'),
  acceptedFlag('oom-score-adj', 'int'),
  acceptedFlag('logging-format'),
  acceptedFlag('log-file'),
  acceptedFlag('logtostderr', 'bool'),
];

export interface KubeProxyOptions {
  kubeconfig: string;
  nodeName: string;
  clusterCIDR?: string;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  cleanup: boolean;
  verbosity: number;
}

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {});

/** Upstream's defaults: minSyncPeriod 1s, syncPeriod 30s. */
export async function kubeProxyOptions(argv: readonly string[], files: FileHost): Promise<KubeProxyOptions> {
  const flags = parseFlags(KUBE_PROXY_FLAGS, argv, 'kube-proxy');
  let config: Doc = {};
  const file = flags.string('config');
  if (file) {
    const text = await files.tryReadFile(file);
    if (!text) throw validationError('KF_PROXY_CONFIG', `kube-proxy: --config=${file}: ${files.resolve(file)} does not exist`, { hint: "pass the kube-proxy ConfigMap's config.conf" });
    config = obj(loadYaml(text.toString('utf8')));
    if (config.kind !== 'KubeProxyConfiguration' || config.apiVersion !== 'kubeproxy.config.k8s.io/v1alpha1') {
      throw validationError('KF_PROXY_CONFIG', `kube-proxy: ${files.resolve(file)} is not a kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration`, { hint: "use the kube-proxy ConfigMap's config.conf" });
    }
  }
  const mode = flags.string('proxy-mode') ?? (typeof config.mode === 'string' ? config.mode : '');
  if (mode !== '' && mode !== 'iptables') throw validationError('KF_PROXY_MODE', `kube-proxy: proxy mode "${mode}" is not supported by the bundled kube-proxy`, { hint: 'use mode: iptables (or leave it empty)' });
  const kubeconfig = flags.string('kubeconfig') ?? (obj(config.clientConnection).kubeconfig as string | undefined);
  if (!kubeconfig) throw validationError('KF_PROXY_CONFIG', 'kube-proxy: no kubeconfig: pass --kubeconfig or --config with clientConnection.kubeconfig', { hint: "kubeadm's ConfigMap sets clientConnection.kubeconfig" });
  const iptables = obj(config.iptables);
  const duration = (name: string, fromFile: unknown, fallback: string) => (flags.given.has(name) ? flags.duration(name) : parseGoDuration(typeof fromFile === 'string' && fromFile ? fromFile : fallback));
  const cidr = flags.string('cluster-cidr') ?? (typeof config.clusterCIDR === 'string' && config.clusterCIDR ? config.clusterCIDR : undefined);
  return {
    kubeconfig,
    nodeName: (flags.string('hostname-override') ?? (typeof config.hostnameOverride === 'string' && config.hostnameOverride ? config.hostnameOverride : os.hostname())).toLowerCase(),
    ...(cidr ? { clusterCIDR: cidr.split(',')[0]! } : {}),
    minSyncPeriodMs: duration('iptables-min-sync-period', iptables.minSyncPeriod, '1s'),
    syncPeriodMs: duration('iptables-sync-period', iptables.syncPeriod, '30s'),
    cleanup: flags.bool('cleanup'),
    verbosity: flags.int('v'),
  };
}
