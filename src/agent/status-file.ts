/**
 * The agent's read-only status file, /run/kubeforge/agent-status.json: every static pod with its
 * v1 status and every invalid manifest. `init`'s wait step and tests read it with
 * `readAgentStatus`; the file is replaced atomically, so a reader never sees half of it.
 */
import type { FileHost } from '../host/index.js';
import { RUN_DIR } from '../host/index.js';
import type { Component, StopMode } from './component-manager.js';
import type { ManifestError, StaticPods } from './static-pods.js';
import type { PodStatus } from './status.js';

export const AGENT_STATUS_FILE = `${RUN_DIR}/agent-status.json`;

export interface AgentStatusPod {
  namespace: string;
  name: string;
  uid: string;
  /** The manifest's logical path. */
  source: string;
  specHash: string;
  status: PodStatus;
}

export interface AgentStatus {
  nodeName: string;
  /** The agent's pid; `state` says whether it still manages the pods. */
  pid: number;
  state: 'running' | 'stopped' | 'detached';
  updatedAt: string;
  pods: AgentStatusPod[];
  manifestErrors: ManifestError[];
}

export async function readAgentStatus(files: FileHost): Promise<AgentStatus | undefined> {
  const text = await files.tryReadFile(AGENT_STATUS_FILE);
  if (!text) return undefined;
  try {
    return JSON.parse(text.toString('utf8')) as AgentStatus;
  } catch {
    return undefined;
  }
}

export class StatusFile implements Component {
  readonly name = 'status-file';
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private state: AgentStatus['state'] = 'running';
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly options: { files: FileHost; nodeName: string; staticPods: StaticPods; now: () => Date; debounceMs?: number },
  ) {}

  async init(): Promise<void> {
    this.unsubscribe = this.options.staticPods.onChange(() => this.schedule());
  }

  async start(): Promise<void> {
    await this.write();
  }

  async ready(): Promise<void> {}

  snapshot(): AgentStatus {
    return {
      nodeName: this.options.nodeName,
      pid: process.pid,
      state: this.state,
      updatedAt: this.options.now().toISOString(),
      pods: this.options.staticPods.pods().map(({ pod, status }) => ({
        namespace: pod.pod.metadata.namespace,
        name: pod.pod.metadata.name,
        uid: pod.pod.metadata.uid,
        source: pod.source,
        specHash: pod.specHash,
        status,
      })),
      manifestErrors: this.options.staticPods.manifestErrors(),
    };
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.options.debounceMs ?? 50);
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(() => this.options.files.writeFile(AGENT_STATUS_FILE, `${JSON.stringify(this.snapshot(), null, 2)}\n`)).catch(() => {});
    return this.writing;
  }

  async stop(mode: StopMode): Promise<void> {
    this.unsubscribe?.();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.state = mode === 'detach' ? 'detached' : 'stopped';
    await this.write();
  }
}
