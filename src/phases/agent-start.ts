/**
 * kubeadm's kubelet-start with our agent in the kubelet's role: write its configuration, then
 * start `kubeforge agent` detached (it outlives `init`), unless an agent already runs on this
 * root — it watches the manifests, so it picks up what init wrote.
 */
import { fileURLToPath } from 'node:url';
import { isRunning, readAgentPid } from '../agent/index.js';
import { KUBELET_CONFIG_PATH, renderKubeletConfig } from '../manifests/index.js';
import type { InitContext } from './init.js';

export const AGENT_LOG = '/var/log/kubeforge/agent.log';
export const KUBELET_FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';
const KUBEFORGE_BIN = fileURLToPath(new URL('../../bin/kubeforge.js', import.meta.url));

/** The command line that runs this node's agent, as the systemd unit or init starts it. */
export function agentArgs(root: string, nodeName: string, nodeIP: string): string[] {
  return [KUBEFORGE_BIN, '--root', root, 'agent', '--node-name', nodeName, '--node-ip', nodeIP, '--config', KUBELET_CONFIG_PATH, '--kubeconfig', '/etc/kubernetes/kubelet.conf'];
}

export async function startAgent(ctx: InitContext): Promise<void> {
  const { host, cfg, log } = ctx;
  const nodeName = cfg.init.nodeRegistration.name;
  const nodeIP = cfg.init.localAPIEndpoint.advertiseAddress;
  log.info(`[kubelet-start] Writing kubelet environment file with flags to file "${KUBELET_FLAGS_ENV}"`);
  await host.files.writeFile(KUBELET_FLAGS_ENV, `KUBELET_KUBEADM_ARGS="--node-ip=${nodeIP} --hostname-override=${nodeName}"\n`);
  log.info(`[kubelet-start] Writing kubelet configuration to file "${KUBELET_CONFIG_PATH}"`);
  await host.files.writeFile(KUBELET_CONFIG_PATH, renderKubeletConfig(cfg));
  const running = await readAgentPid(host);
  if (running && (await isRunning(host.system, running))) {
    log.info(`[kubelet-start] The agent is already running (pid ${running.pid}); it picks up the new manifests`);
    return;
  }
  const pid = await host.processes.spawnDetached(process.execPath, agentArgs(host.files.root, nodeName, nodeIP), { logFile: host.files.resolve(AGENT_LOG) });
  log.info(`[kubelet-start] Starting the agent (pid ${pid}); its log is ${host.files.resolve(AGENT_LOG)}`);
}
