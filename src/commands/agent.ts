/** `kubeforge agent`: runs the node agent until SIGTERM, from the KubeletConfiguration init wrote. */
import yaml from 'js-yaml';
import { runAgent } from '../agent/index.js';
import { parseGoDuration } from '../config/index.js';
import { validationError } from '../errors.js';
import { createHost } from '../host/index.js';
import { createLogger } from '../log.js';

export interface AgentCommandOptions {
  root: string;
  verbosity: number;
  nodeName: string;
  nodeIP: string;
  configPath: string;
  kubeconfigPath: string;
}

interface KubeletConfigFields {
  staticPodPath?: string;
  fileCheckFrequency?: string;
}

export async function runAgentCommand(options: AgentCommandOptions): Promise<void> {
  const host = createHost(options.root);
  const log = createLogger({ verbosity: options.verbosity });
  const text = await host.files.tryReadFile(options.configPath);
  let config: KubeletConfigFields = {};
  try {
    config = (text ? yaml.load(text.toString('utf8')) : {}) as KubeletConfigFields;
  } catch (err) {
    throw validationError('KF_AGENT_CONFIG_INVALID', `${host.files.resolve(options.configPath)} is not valid YAML`, { cause: err });
  }
  const frequency = config.fileCheckFrequency ? parseGoDuration(config.fileCheckFrequency) : 0;
  const agent = await runAgent({
    host,
    nodeName: options.nodeName,
    nodeAddress: options.nodeIP,
    log,
    staticPodPath: config.staticPodPath,
    rescanMs: frequency > 0 ? frequency : undefined,
    handleSignals: true,
  });
  await agent.stopped;
}
