/** `kubeforge agent`: runs the node agent until SIGTERM, from the KubeletConfiguration init wrote. */
import { setFlagsFromString } from 'node:v8';
import { loadYaml } from '../safe-yaml.js';
import { criSocketPath, parseKubeletFlagsEnv, privateEndpoint, runAgent, type AgentCriOptions } from '../agent/index.js';
import { parseGoDuration } from '../config/index.js';
import { validationError } from '../errors.js';
import { createHost, type Host } from '../host/index.js';
import { KUBELET_FLAGS_ENV } from '../phases/agent-start.js';
import { createLogger } from '../log.js';
import { renewDueCertificates } from './certs-renew.js';
import { versionInfo } from './version.js';

export interface AgentCommandOptions {
  root: string;
  verbosity: number;
  nodeName: string;
  nodeIP: string;
  configPath: string;
  kubeconfigPath: string;
  bootstrapKubeconfigPath?: string;
  /** `--auto-renew` (default on): renew control-plane certificates at 2/3 of their lifetime. */
  autoRenew?: boolean;
  /** `--certificate-check-interval` (Go duration; 1m). */
  certificateCheckInterval?: string;
}

interface KubeletConfigFields {
  staticPodPath?: string;
  fileCheckFrequency?: string;
  port?: number;
  nodeStatusUpdateFrequency?: string;
  nodeStatusReportFrequency?: string;
  nodeLeaseDurationSeconds?: number;
  authentication?: { x509?: { clientCAFile?: string } };
  clusterDNS?: string[];
  clusterDomain?: string;
  resolvConf?: string;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
}

/** A Go duration from the config in ms, or undefined when unset or not positive. */
function durationMs(value: string | undefined): number | undefined {
  const ms = value ? parseGoDuration(value) : 0;
  return ms > 0 ? ms : undefined;
}

function checkInterval(value: string | undefined): number | undefined {
  try {
    return durationMs(value);
  } catch (err) {
    throw validationError('KF_AGENT_CHECK_INTERVAL', `--certificate-check-interval ${JSON.stringify(value)} is not a Go duration`, { cause: err, hint: 'e.g. 1m or 30s' });
  }
}

/**
 * The runtime endpoint from kubeadm-flags.env (--container-runtime-endpoint), as the kubelet
 * gets it; none (an older root): the agent runs static pods only.
 */
async function runtimeFromFlags(host: Host): Promise<AgentCriOptions | undefined> {
  const text = await host.files.tryReadFile(KUBELET_FLAGS_ENV);
  const endpoint = text ? parseKubeletFlagsEnv(text.toString('utf8'))['container-runtime-endpoint'] : undefined;
  if (!endpoint) return undefined;
  return { endpoint, privateRuntime: criSocketPath(endpoint) === criSocketPath(privateEndpoint(host)) };
}

/*
 * V8's young generation grows to 2 × 16 MB under a burst of allocations (thirty pods starting)
 * and keeps that memory for the life of the process: a third of the agent's RSS. The agent is
 * long-running and allocates little per second, so 2 × 2 MB costs a few more scavenges and no
 * measurable time. V8 reads the limit whenever it resizes the young generation, so setting it
 * before the agent allocates much is enough (init and join start the agent with no node flags).
 */
export async function runAgentCommand(options: AgentCommandOptions): Promise<void> {
  setFlagsFromString('--max-semi-space-size=2');
  const certificateMonitorMs = checkInterval(options.certificateCheckInterval);
  const host = createHost(options.root);
  const log = createLogger({ verbosity: options.verbosity });
  const text = await host.files.tryReadFile(options.configPath);
  let config: KubeletConfigFields = {};
  try {
    config = (text ? loadYaml(text.toString('utf8')) : {}) as KubeletConfigFields;
  } catch (err) {
    throw validationError('KF_AGENT_CONFIG_INVALID', `${host.files.resolve(options.configPath)} is not valid YAML`, { cause: err });
  }
  const cri = await runtimeFromFlags(host);
  const agent = await runAgent({
    ...(cri ? { cri: { ...cri, dns: { clusterDNS: config.clusterDNS ?? [], clusterDomain: config.clusterDomain ?? '', resolvConf: config.resolvConf ?? '/etc/resolv.conf' } } } : {}),
    host,
    nodeName: options.nodeName,
    nodeAddress: options.nodeIP,
    log,
    staticPodPath: config.staticPodPath,
    rescanMs: durationMs(config.fileCheckFrequency),
    handleSignals: true,
    api: {
      kubeconfigPath: options.kubeconfigPath,
      bootstrapKubeconfigPath: options.bootstrapKubeconfigPath,
      clientCAFile: config.authentication?.x509?.clientCAFile ?? '/etc/kubernetes/pki/ca.crt',
      kubeletPort: config.port,
      containerRuntimeVersion: `kubeforge://${versionInfo().gitVersion.replace(/^v/, '')}`,
      statusUpdateMs: durationMs(config.nodeStatusUpdateFrequency),
      statusReportMs: durationMs(config.nodeStatusReportFrequency),
      leaseDurationSeconds: config.nodeLeaseDurationSeconds,
      certificateMonitorMs,
      autoRenew: options.autoRenew === false ? undefined : renewDueCertificates,
      reservations: { kubeReserved: config.kubeReserved, systemReserved: config.systemReserved, evictionHard: config.evictionHard },
    },
  });
  await agent.stopped;
}
