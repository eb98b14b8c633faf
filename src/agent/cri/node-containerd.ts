/**
 * The node-private containerd, as k3s runs its embedded one: its own config, root, state and
 * socket under --root, started by the agent when the node's runtime endpoint is this socket,
 * adopted when an earlier agent left it running (containers outlive the agent, as with a system
 * containerd), restarted when it dies, and given the pause image and the air-gap images. The
 * agent never stops it; `reset` does (cri/cleanup.ts).
 */
import type { Host } from '../../host/index.js';
import type { Logger } from '../../log.js';
import type { Component } from '../component-manager.js';
import { CriClient } from './client.js';
import { importImageArchives } from './image-import.js';
import { IMAGES_DIR, PAUSE_ARCHIVE, PAUSE_IMAGE, nodeRuntimeLayout, type NodeRuntimeLayout } from './layout.js';
import { buildPauseArchive } from './pause-image.js';
import { containerdConfig } from './runtime-config.js';

export const CNI_BIN_DIR = '/usr/lib/cni';

export interface NodeContainerdOptions {
  host: Host;
  log: Logger;
  nodeIP: string;
  /** How often the process is checked (2 s). */
  superviseMs?: number;
  /** How long a start may take before the socket answers (60 s). */
  startTimeoutMs?: number;
}

/** The endpoint (unix://…) of the node-private containerd of a root. */
export function privateEndpoint(host: Host): string {
  return `unix://${host.files.resolve(nodeRuntimeLayout(host.files.root).socket)}`;
}

export class NodeContainerd implements Component {
  readonly name = 'containerd';
  readonly layout: NodeRuntimeLayout;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  private resolveUp!: () => void;
  /** Resolves once containerd answered and the pause image is in place (never rejects). */
  readonly up = new Promise<void>((resolve) => (this.resolveUp = resolve));

  constructor(private readonly options: NodeContainerdOptions) {
    this.layout = nodeRuntimeLayout(options.host.files.root);
  }

  get endpoint(): string {
    return privateEndpoint(this.options.host);
  }

  async init(): Promise<void> {
    const { host, nodeIP } = this.options;
    const resolve = (p: string) => host.files.resolve(p);
    await host.files.writeFile(this.layout.configFile, containerdConfig({ layout: this.layout, resolve, nodeIP, cniBinDir: CNI_BIN_DIR }));
    await host.files.mkdir(this.layout.cniConfDir);
  }

  /** Brings containerd up in the background: the control plane must not wait for the pods' runtime. */
  async start(): Promise<void> {
    this.restarting = this.ensureRunning()
      .then(() => this.importImages())
      .then(() => this.resolveUp())
      .catch((err) => this.options.log.warn(`agent: the node containerd: ${(err as Error).message}`))
      .finally(() => (this.restarting = undefined));
    this.timer = setInterval(() => void this.check(), this.options.superviseMs ?? 2000);
  }

  async ready(): Promise<void> {}

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.restarting;
  }

  private async pid(): Promise<number | undefined> {
    const text = await this.options.host.files.tryReadFile(this.layout.pidFile);
    const pid = Number(text?.toString('utf8').trim());
    return Number.isInteger(pid) && pid > 0 && this.options.host.processes.isAlive(pid) ? pid : undefined;
  }

  private async check(): Promise<void> {
    if (this.restarting || (await this.pid())) return;
    this.options.log.warn('agent: the node containerd is gone; starting it again');
    this.restarting = this.ensureRunning()
      .then(() => this.importImages())
      .then(() => this.resolveUp())
      .catch((err) => this.options.log.warn(`agent: restarting containerd failed: ${(err as Error).message}`))
      .finally(() => (this.restarting = undefined));
  }

  /** Adopts the running containerd or starts one, then waits until its CRI answers. */
  private async ensureRunning(): Promise<void> {
    const { host, log } = this.options;
    let pid = await this.pid();
    if (pid) log.info(`agent: using the node containerd already running (pid ${pid})`);
    else {
      const binary = (await host.system.which('containerd')) ?? 'containerd';
      pid = await host.processes.spawnDetached(binary, ['--config', host.files.resolve(this.layout.configFile)], { logFile: host.files.resolve(this.layout.logFile) });
      await host.files.writeFile(this.layout.pidFile, `${pid}\n`);
      log.info(`agent: started the node containerd (pid ${pid}) at ${this.endpoint}`);
    }
    await this.waitForCri(pid);
  }

  private async waitForCri(pid: number): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 60_000);
    const client = await CriClient.connect(this.endpoint);
    try {
      for (;;) {
        try {
          await client.version(2000);
          return;
        } catch (err) {
          if (!this.options.host.processes.isAlive(pid)) throw new Error(`containerd (pid ${pid}) exited; see ${this.options.host.files.resolve(this.layout.logFile)}`, { cause: err });
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      client.close();
    }
  }

  /** The pause image (built once) when missing, then every archive of the air-gap directory. */
  private async importImages(): Promise<void> {
    const { host, log } = this.options;
    const client = await CriClient.connect(this.endpoint);
    try {
      const status = await client.call<{ image?: { id?: string } | null }>('ImageStatus', { image: { image: PAUSE_IMAGE } });
      if (!status.image?.id) {
        await host.files.writeFile(PAUSE_ARCHIVE, await buildPauseArchive(host));
        await importImageArchives(host, this.endpoint, [host.files.resolve(PAUSE_ARCHIVE)]);
        log.info(`agent: imported the pause image ${PAUSE_IMAGE}`);
      }
    } finally {
      client.close();
    }
    const archives = (await host.files.list(IMAGES_DIR).catch(() => [])).filter((f) => /\.tar$/.test(f));
    for (const name of archives) {
      try {
        const [done] = await importImageArchives(host, this.endpoint, [host.files.resolve(`${IMAGES_DIR}/${name}`)]);
        log.info(`agent: imported ${done!.images.join(', ')} from ${done!.file}`);
      } catch (err) {
        log.warn(`agent: ${(err as Error).message}`);
      }
    }
  }
}
