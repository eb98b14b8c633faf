/**
 * One agent per root: /run/kubeforge/agent.pid names the running agent (pid and start time, so a
 * recycled pid does not count). A second agent on the same root would start every pod twice, so
 * it refuses to start; a stale file (its agent died, e.g. kill -9) is taken over.
 */
import type { Host } from '../host/index.js';
import { RUN_DIR } from '../host/index.js';
import { KubeforgeError } from '../errors.js';
import type { Component } from './component-manager.js';
import { isRunning, procStat, type ProcessIdentity } from './proc.js';

export const AGENT_PID_FILE = `${RUN_DIR}/agent.pid`;

export async function readAgentPid(host: Host): Promise<ProcessIdentity | undefined> {
  const text = await host.files.tryReadFile(AGENT_PID_FILE);
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text.toString('utf8')) as ProcessIdentity;
    return Number.isInteger(parsed.pid) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export class AgentLock implements Component {
  readonly name = 'agent-lock';

  constructor(private readonly host: Host) {}

  async init(): Promise<void> {}

  async start(): Promise<void> {
    const holder = await readAgentPid(this.host);
    if (holder && holder.pid !== process.pid && (await isRunning(this.host.system, holder))) {
      throw new KubeforgeError('KF_AGENT_RUNNING', `an agent (pid ${holder.pid}) already runs on ${this.host.files.root}`, {
        hint: `stop it first (kill ${holder.pid}), or use another --root`,
      });
    }
    const self = { pid: process.pid, startTicks: (await procStat(this.host.system, process.pid))?.startTicks ?? -1 };
    await this.host.files.writeFile(AGENT_PID_FILE, `${JSON.stringify(self)}\n`);
  }

  async ready(): Promise<void> {}

  async stop(): Promise<void> {
    if ((await readAgentPid(this.host))?.pid === process.pid) await this.host.files.remove(AGENT_PID_FILE);
  }
}
