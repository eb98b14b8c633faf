import { InvalidArgumentError, type Command } from 'commander';
import { resolveRoot } from '../host/index.js';
import { globals } from './globals.js';

interface AgentCliOptions {
  nodeName: string;
  nodeIp: string;
  config: string;
  kubeconfig: string;
  bootstrapKubeconfig: string;
  autoRenew: boolean;
  certificateCheckInterval: string;
}

function parseBool(value: string): boolean {
  if (/^(true|1|t)$/i.test(value)) return true;
  if (/^(false|0|f)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("Run the node agent (kubeforge's kubelet): static pods, probes, restarts, node registration")
    .requiredOption('--node-name <name>', 'the name this node registers as')
    .requiredOption('--node-ip <ip>', 'the address the agent binds and reports (the node\'s advertise address)')
    .option('--config <file>', 'the KubeletConfiguration file (logical path under --root)', '/var/lib/kubelet/config.yaml')
    .option('--kubeconfig <file>', 'the kubeconfig the agent talks to the API with (logical path under --root)', '/etc/kubernetes/kubelet.conf')
    .option('--bootstrap-kubeconfig <file>', 'the bootstrap kubeconfig used to obtain a client certificate when --kubeconfig does not exist (logical path)', '/etc/kubernetes/bootstrap-kubelet.conf')
    .option('--auto-renew [bool]', 'renew the control-plane certificates and kubeconfigs at 2/3 of their lifetime, restarting the static pods that use them (--auto-renew=false turns it off)', parseBool, true)
    .option('--certificate-check-interval <duration>', 'how often certificate expiry is checked (metrics, expiry events, auto-renew)', '1m')
    .action(async (opts: AgentCliOptions, self: Command) => {
      const { runAgentCommand } = await import('../commands/agent.js');
      const g = globals(self);
      await runAgentCommand({ root: resolveRoot(g.root), verbosity: g.v, nodeName: opts.nodeName, nodeIP: opts.nodeIp, configPath: opts.config, kubeconfigPath: opts.kubeconfig, bootstrapKubeconfigPath: opts.bootstrapKubeconfig,
        autoRenew: opts.autoRenew, certificateCheckInterval: opts.certificateCheckInterval,
      });
    });
}
