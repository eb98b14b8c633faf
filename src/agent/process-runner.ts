/**
 * The process runner: a PodRunner without a container runtime. Each container is a process
 * started detached in its own process group (so it survives the agent and is stopped as a
 * group), with stdout and stderr appended to the pod's log file. Per pod it keeps a record
 * under /run/kubeforge/pods/<ns>_<name>_<uid>/: pod.json (the static pod) and one
 * <container>.json per container (pid, start time, spec hash, restart count), which is how a
 * restarted agent adopts running containers instead of starting duplicates.
 * This module (with proc.ts) is the only agent code that spawns processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from '../host/index.js';
import { POD_LOGS_DIR, RUN_DIR } from '../host/index.js';
import type { Logger } from '../log.js';
import { resolveProgram } from './images.js';
import type { Container, StaticPod } from './pod.js';
import { isRunning, procStat, terminate, type ProcessIdentity } from './proc.js';
import { ContainerStartError, type ContainerRuntimeState, type ExecResult, type PodRunner } from './runner.js';
import { directoriesToCreate, pathMappings, rewriteVolumePaths, type PathMapping } from './volumes.js';
import { setOwn } from '../safe-keys.js';
import { Listeners, type Unsubscribe } from './listeners.js';

export const PODS_RUN_DIR = `${RUN_DIR}/pods`;

/** What a container's record file holds. */
interface ContainerRecord extends ProcessIdentity {
  podUid: string;
  container: string;
  specHash: string;
  startedAt: string;
  restartCount: number;
}

interface Tracked {
  record: ContainerRecord;
  /** Our own child (undefined for an adopted process, whose exit code we cannot observe). */
  child?: ChildProcess;
  exit?: { exitCode: number; finishedAt: Date };
}

export interface ProcessRunnerOptions {
  host: Host;
  log: Logger;
  /** How to run `kubeforge` (node + bin/kubeforge.js) for the bundled components. */
  kubeforgeCommand: string[];
  /** Grace period for stopping stale containers of pods without terminationGracePeriodSeconds. */
  defaultGracePeriodMs: number;
}

/** `<namespace>_<name>_<uid>`: the kubelet's pod directory name for logs. */
export function podDirName(pod: StaticPod): string {
  const m = pod.pod.metadata;
  return `${m.namespace}_${m.name}_${m.uid}`;
}

const containerId = (r: ProcessIdentity) => `process://${r.pid}.${r.startTicks}`;

export class ProcessRunner implements PodRunner {
  private readonly tracked = new Map<string, Tracked>();
  private readonly exitListeners = new Listeners<[podUid: string, containerName: string]>();

  constructor(private readonly options: ProcessRunnerOptions) {}

  private get files() {
    return this.options.host.files;
  }

  private recordDir(pod: StaticPod): string {
    return `${PODS_RUN_DIR}/${podDirName(pod)}`;
  }

  private key(podUid: string, container: string): string {
    return `${podUid}/${container}`;
  }

  logPath(pod: StaticPod, containerName: string): string {
    return this.files.resolve(`${POD_LOGS_DIR}/${podDirName(pod)}/${containerName}/0.log`);
  }

  onContainerExit(listener: (podUid: string, containerName: string) => void): Unsubscribe {
    return this.exitListeners.add(listener);
  }

  async listPods(): Promise<StaticPod[]> {
    const pods: StaticPod[] = [];
    for (const dir of await this.files.list(PODS_RUN_DIR)) {
      const text = await this.files.tryReadFile(`${PODS_RUN_DIR}/${dir}/pod.json`);
      if (!text) continue;
      try {
        pods.push(JSON.parse(text.toString('utf8')) as StaticPod);
      } catch {
        this.options.log.warn(`agent: ignoring the unreadable pod record ${PODS_RUN_DIR}/${dir}/pod.json`);
      }
    }
    return pods;
  }

  async startPod(pod: StaticPod): Promise<void> {
    await this.files.writeFile(`${this.recordDir(pod)}/pod.json`, `${JSON.stringify(pod, null, 2)}\n`);
    for (const dir of directoriesToCreate(pod.pod.spec.volumes)) await this.files.mkdir(dir);
    for (const c of pod.pod.spec.containers) mkdirSync(path.dirname(this.logPath(pod, c.name)), { recursive: true });
  }

  private async readRecord(pod: StaticPod, name: string): Promise<ContainerRecord | undefined> {
    const text = await this.files.tryReadFile(`${this.recordDir(pod)}/${name}.json`);
    if (!text) return undefined;
    try {
      return JSON.parse(text.toString('utf8')) as ContainerRecord;
    } catch {
      return undefined;
    }
  }

  async adopt(pod: StaticPod): Promise<Map<string, ContainerRuntimeState>> {
    const adopted = new Map<string, ContainerRuntimeState>();
    const system = this.options.host.system;
    for (const c of pod.pod.spec.containers) {
      const record = await this.readRecord(pod, c.name);
      if (!record || !(await isRunning(system, record))) continue;
      if (record.specHash !== pod.specHash) {
        this.options.log.info(`agent: stopping ${c.name} (pid ${record.pid}): it runs an older spec of ${pod.pod.metadata.name}`);
        const grace = pod.pod.spec.terminationGracePeriodSeconds;
        await terminate(record, grace === undefined ? this.options.defaultGracePeriodMs : grace * 1000, () => isRunning(system, record));
        continue;
      }
      this.tracked.set(this.key(record.podUid, c.name), { record });
      adopted.set(c.name, { state: 'running', id: containerId(record), startedAt: new Date(record.startedAt), restartCount: record.restartCount });
    }
    return adopted;
  }

  private async environment(pod: StaticPod, container: Container, mappings: PathMapping[]): Promise<Record<string, string>> {
    // A container does not inherit the agent's environment; only PATH, so programs are found. Above all
    // not KUBEFORGE_ROOT: paths in flags are already mapped under the root, and a component that
    // mapped them again would look under <root><root>/.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
    for (const { name, value } of container.env ?? []) {
      if (value === undefined) this.options.log.warn(`agent: ${pod.pod.metadata.name}/${container.name}: env ${name} uses valueFrom, which the process runner does not support`);
      else setOwn(env, name, rewriteVolumePaths(value, mappings));
    }
    return env;
  }

  async startContainer(pod: StaticPod, container: Container, restartCount: number): Promise<ContainerRuntimeState> {
    const { host } = this.options;
    const resolution = await resolveProgram(container.image, container.command ?? [], container.args ?? [], {
      which: (b) => host.system.which(b),
      kubeforgeCommand: this.options.kubeforgeCommand,
    });
    if (!resolution.ok) throw new ContainerStartError(resolution.reason, resolution.message);
    const mappings = pathMappings(host.files.root, container, pod.pod.spec.volumes);
    const args = resolution.program.args.map((a) => rewriteVolumePaths(a, mappings));
    const cwd = container.workingDir ? rewriteVolumePaths(container.workingDir, mappings) : host.files.root;
    const env = await this.environment(pod, container, mappings);
    const logFile = this.logPath(pod, container.name);
    mkdirSync(path.dirname(logFile), { recursive: true });
    // The log file itself is the child's stdout and stderr: no pipe through the agent, so the
    // container outlives an agent that dies (a broken pipe would kill it with SIGPIPE).
    const fd = openSync(logFile, 'a', 0o640);
    let child: ChildProcess;
    try {
      child = spawn(resolution.program.file, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new ContainerStartError('RunContainerError', `cannot start ${resolution.program.file}: ${err.message}`);
    }
    child.unref();
    // Listen before anything is awaited: a process that exits at once must not be missed.
    const record: ContainerRecord = {
      pid: child.pid,
      startTicks: -1,
      podUid: pod.pod.metadata.uid,
      container: container.name,
      specHash: pod.specHash,
      startedAt: host.clock.now().toISOString(),
      restartCount,
    };
    const tracked: Tracked = { record, child };
    this.tracked.set(this.key(record.podUid, container.name), tracked);
    child.on('error', (err) => this.options.log.warn(`agent: ${pod.pod.metadata.name}/${container.name} (pid ${record.pid}): ${err.message}`));
    child.once('exit', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 9);
      tracked.exit = { exitCode, finishedAt: new Date() };
      this.exitListeners.emit(record.podUid, container.name);
    });
    record.startTicks = (await procStat(host.system, child.pid))?.startTicks ?? -1;
    await this.files.writeFile(`${this.recordDir(pod)}/${container.name}.json`, `${JSON.stringify(record)}\n`);
    this.options.log.debug(1, `agent: started ${pod.pod.metadata.name}/${container.name} pid ${child.pid}: ${resolution.program.file} ${args.join(' ')}`);
    return { state: 'running', id: containerId(record), startedAt: new Date(record.startedAt), restartCount };
  }

  private async stillRunning(t: Tracked): Promise<boolean> {
    if (t.child) return t.exit === undefined;
    return isRunning(this.options.host.system, t.record);
  }

  async stopContainer(pod: StaticPod, containerName: string, gracePeriodMs: number): Promise<void> {
    const t = this.tracked.get(this.key(pod.pod.metadata.uid, containerName));
    if (!t) return;
    await terminate(t.record, gracePeriodMs, () => this.stillRunning(t));
  }

  async stopPod(pod: StaticPod, gracePeriodMs: number): Promise<void> {
    await Promise.all(pod.pod.spec.containers.map((c) => this.stopContainer(pod, c.name, gracePeriodMs)));
    // Containers of this pod recorded by an earlier agent but not adopted (e.g. an orphan pod).
    for (const c of pod.pod.spec.containers) {
      const record = await this.readRecord(pod, c.name);
      if (record && !this.tracked.has(this.key(record.podUid, c.name)) && (await isRunning(this.options.host.system, record))) {
        await terminate(record, gracePeriodMs, () => isRunning(this.options.host.system, record));
      }
      this.tracked.delete(this.key(pod.pod.metadata.uid, c.name));
    }
    await this.files.remove(this.recordDir(pod));
  }

  async status(pod: StaticPod): Promise<Map<string, ContainerRuntimeState>> {
    const states = new Map<string, ContainerRuntimeState>();
    for (const c of pod.pod.spec.containers) {
      const t = this.tracked.get(this.key(pod.pod.metadata.uid, c.name));
      if (!t) continue;
      const base = { id: containerId(t.record), startedAt: new Date(t.record.startedAt), restartCount: t.record.restartCount };
      if (await this.stillRunning(t)) {
        states.set(c.name, { state: 'running', ...base });
      } else if (t.exit) {
        const { exitCode, finishedAt } = t.exit;
        states.set(c.name, { state: 'exited', ...base, exitCode, finishedAt, reason: exitCode === 0 ? 'Completed' : 'Error' });
      } else {
        // An adopted process is not our child: we see that it is gone, not how it ended.
        t.exit = { exitCode: 137, finishedAt: this.options.host.clock.now() };
        states.set(c.name, { state: 'exited', ...base, ...t.exit, reason: 'ContainerStatusUnknown', message: 'the process (adopted from an earlier agent) exited; its exit code is unknown' });
      }
    }
    return states;
  }

  async exec(pod: StaticPod, containerName: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const container = pod.pod.spec.containers.find((c) => c.name === containerName);
    const [file, ...rest] = command;
    if (!container || !file) return { exitCode: 126, output: 'no such container or empty command' };
    const mappings = pathMappings(this.files.root, container, pod.pod.spec.volumes);
    const env = await this.environment(pod, container, mappings);
    return new Promise((resolve) => {
      const child = spawn(file, rest.map((a) => rewriteVolumePaths(a, mappings)), { env, cwd: this.files.root, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
      let output = '';
      const collect = (chunk: Buffer) => {
        if (output.length < 10_240) output += chunk.toString('utf8');
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('error', (err) => resolve({ exitCode: 127, output: err.message }));
      child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 137 : 1), output }));
    });
  }

  detach(): void {
    this.tracked.clear();
  }
}
