/**
 * kubeadm's kubelet-start with our agent in the kubelet's role, for init and join alike: write
 * its flags file and configuration, then start `kubeforge agent` detached (it outlives the
 * command), unless an agent already runs on this root — it watches the manifests, so it picks up
 * what was written.
 */
import { fileURLToPath } from 'node:url';
import { chooseRuntime, isRunning, kubeletFlags, kubeletFlagsEnv, readAgentPid } from '../agent/index.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import { KUBELET_CONFIG_PATH } from '../manifests/index.js';

export const AGENT_LOG = '/var/log/kubeforge/agent.log';
export const KUBELET_FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';
export const KUBELET_KUBECONFIG = '/etc/kubernetes/kubelet.conf';
export const BOOTSTRAP_KUBELET_KUBECONFIG = '/etc/kubernetes/bootstrap-kubelet.conf';
const KUBEFORGE_BIN = fileURLToPath(new URL('../../bin/kubeforge.js', import.meta.url));

export interface AgentStartOptions {
  nodeName: string;
  /** The address the agent binds and reports. */
  nodeIP: string;
  /** The text of /var/lib/kubelet/config.yaml. */
  kubeletConfig: string;
  /** Join: the agent TLS-bootstraps its kubelet.conf from bootstrap-kubelet.conf (the kubelet's --bootstrap-kubeconfig). */
  tlsBootstrap?: boolean;
  /** nodeRegistration.criSocket. */
  criSocket: string;
}

/** The command line that runs this node's agent, as the systemd unit or init/join start it. */
export function agentArgs(root: string, nodeName: string, nodeIP: string, tlsBootstrap = false): string[] {
  return [
    KUBEFORGE_BIN, '--root', root, 'agent', '--node-name', nodeName, '--node-ip', nodeIP, '--config', KUBELET_CONFIG_PATH,
    ...(tlsBootstrap ? ['--bootstrap-kubeconfig', BOOTSTRAP_KUBELET_KUBECONFIG] : []),
    '--kubeconfig', KUBELET_KUBECONFIG,
  ];
}

export async function startAgent(host: Host, log: Logger, options: AgentStartOptions): Promise<void> {
  const { nodeName, nodeIP } = options;
  const runtime = await chooseRuntime(host, options.criSocket);
  log.info(`[kubelet-start] Container runtime: ${runtime.note}`);
  log.info(`[kubelet-start] Writing kubelet environment file with flags to file "${KUBELET_FLAGS_ENV}"`);
  await host.files.writeFile(KUBELET_FLAGS_ENV, kubeletFlagsEnv(kubeletFlags(runtime.endpoint, nodeIP, nodeName)));
  log.info(`[kubelet-start] Writing kubelet configuration to file "${KUBELET_CONFIG_PATH}"`);
  // 0600 (CIS 4.1.9); kubeadm writes it 0644.
  await host.files.writeFile(KUBELET_CONFIG_PATH, options.kubeletConfig, { mode: 0o600 });
  const running = await readAgentPid(host);
  if (running && (await isRunning(host.system, running))) {
    log.info(`[kubelet-start] The agent is already running (pid ${running.pid}); it picks up the new configuration`);
    return;
  }
  const pid = await host.processes.spawnDetached(process.execPath, agentArgs(host.files.root, nodeName, nodeIP, options.tlsBootstrap), { logFile: host.files.resolve(AGENT_LOG) });
  // A dry-run host reports the start itself ("Would start process …", with the log file).
  if (!host.dryRun) log.info(`[kubelet-start] Starting the agent (pid ${pid}); its log is ${host.files.resolve(AGENT_LOG)}`);
}
