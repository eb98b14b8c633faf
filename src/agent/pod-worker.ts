/**
 * One static pod's worker, the agent's syncPod: it keeps every container running as the restart
 * policy says (with CrashLoopBackOff), runs the probes of the running containers, restarts a
 * container whose liveness or startup probe fails, and keeps the pod's v1 status. Runs serialize:
 * a sync requested during a sync runs once more afterwards.
 */
import type { Clock } from '../host/index.js';
import type { Logger } from '../log.js';
import { nextBackoff, type BackoffPolicy, type BackoffState } from './backoff.js';
import type { Container, StaticPod } from './pod.js';
import { ProbeWorker, type ProbeKind } from './prober.js';
import { runPreStopHook } from './lifecycle-hooks.js';
import type { ProbeOutcome, ProbeTarget } from './probe.js';
import { ContainerStartError, type ContainerRuntimeState, type PodRunner } from './runner.js';
import { buildPodStatus, type ContainerState, type ContainerStatus, type PodStatus } from './status.js';

export interface PodWorkerOptions {
  runner: PodRunner;
  log: Logger;
  clock: Clock;
  nodeAddress: string;
  backoff: BackoffPolicy;
  /**
   * How often the worker re-checks its containers without an event from the runner (adopted
   * processes have none; CRI pods get the PLEG's, so theirs is long).
   */
  syncIntervalMs: number;
  /** Grace period when the manifest does not set terminationGracePeriodSeconds. */
  defaultGracePeriodMs: number;
  onStatusChange(): void;
  /** Events about the pod (BackOff, Unhealthy, Killing); API pods record them, static pods need not. */
  onEvent?(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

interface Slot {
  spec: Container;
  runtime?: ContainerRuntimeState;
  restartCount: number;
  backoff?: BackoffState;
  /** When the next start may happen (epoch ms); undefined when the container must not start again. */
  nextStartAt?: number;
  waiting?: { reason: string; message?: string };
  lastTerminated?: ContainerState;
  handledExitId?: string;
  probes: ProbeWorker[];
  probedId?: string;
  started: boolean;
  ready: boolean;
}

type Terminated = Extract<ContainerState, { terminated: unknown }>;

/** A failed sync is tried again this soon (the worker's resync may be much longer). */
const SYNC_RETRY_MS = 1000;

export class PodWorker {
  private readonly slots: Slot[];
  /** Init containers, in order; the app containers start once every one exited 0. */
  private readonly initSlots: Slot[];
  private initFailed = false;
  private status: PodStatus;
  private readonly startTime: string;
  private syncing: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Aborted when the worker stops: ends an image pull in flight, which stop would otherwise wait for. */
  private readonly stopping = new AbortController();
  private interval: NodeJS.Timeout | undefined;
  private wake: { at: number; timer: NodeJS.Timeout } | undefined;

  constructor(
    readonly pod: StaticPod,
    private readonly options: PodWorkerOptions,
  ) {
    const slot = (spec: Container): Slot => ({ spec, restartCount: 0, probes: [], started: false, ready: false });
    this.slots = pod.pod.spec.containers.map(slot);
    this.initSlots = (pod.pod.spec.initContainers ?? []).map(slot);
    this.startTime = options.clock.now().toISOString();
    this.status = this.buildStatus();
  }

  get name(): string {
    return `${this.pod.pod.metadata.namespace}/${this.pod.pod.metadata.name}`;
  }

  get gracePeriodMs(): number {
    const seconds = this.pod.pod.spec.terminationGracePeriodSeconds;
    return seconds === undefined ? this.options.defaultGracePeriodMs : seconds * 1000;
  }

  podStatus(): PodStatus {
    return this.status;
  }

  /** Adopts what an earlier agent left running, then starts the rest. */
  async start(): Promise<void> {
    const { runner } = this.options;
    if (this.closed) return; // stopped while it waited for its turn to start
    await runner.startPod(this.pod);
    const adopted = await runner.adopt(this.pod);
    if (this.closed) return;
    for (const slot of this.slots) {
      const state = adopted.get(slot.spec.name);
      if (state) {
        slot.restartCount = state.restartCount;
        this.options.log.info(`agent: adopted ${this.name}/${slot.spec.name} (${state.id}), running since ${state.startedAt.toISOString()}`);
      }
    }
    this.interval = setInterval(() => this.requestSync(), this.options.syncIntervalMs);
    await this.requestSync();
  }

  requestSync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (err) {
          this.options.log.warn(`agent: sync of ${this.name} failed: ${(err as Error).message}`);
          // Try again soon (an API object or the runtime not there yet), not only at the next resync.
          this.wakeAt(this.options.clock.now().getTime() + Math.min(this.options.syncIntervalMs, SYNC_RETRY_MS));
        }
      } while (this.again && !this.closed);
      this.syncing = undefined;
    })();
    return this.syncing;
  }

  /**
   * The init containers, one at a time: the first that has not succeeded is started (again, with
   * back-off, when the policy restarts it). True once all succeeded; a failure under
   * restartPolicy Never fails the pod.
   */
  private async syncInit(states: Map<string, ContainerRuntimeState>, now: number): Promise<boolean> {
    for (const slot of this.initSlots) {
      const state = states.get(slot.spec.name);
      slot.runtime = state;
      if (state?.state === 'exited' && state.exitCode === 0) {
        slot.waiting = undefined;
        slot.lastTerminated = { terminated: { exitCode: 0, reason: state.reason, startedAt: state.startedAt.toISOString(), finishedAt: state.finishedAt.toISOString() } };
        slot.nextStartAt = undefined;
        continue;
      }
      if (this.initFailed) return false;
      if (state?.state === 'running') return false;
      if (state?.state === 'exited' && slot.handledExitId !== state.id) {
        // An init container restarts unless the pod never restarts anything (Always acts as OnFailure here).
        const policy = this.pod.pod.spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
        this.observeExit(slot, state, now, policy);
        if (policy === 'Never') {
          this.initFailed = true;
          return false;
        }
      }
      if (!state && slot.nextStartAt === undefined && slot.handledExitId === undefined) slot.nextStartAt = now;
      if (slot.nextStartAt !== undefined && now >= slot.nextStartAt) await this.startContainer(slot, now);
      else if (slot.nextStartAt !== undefined) this.wakeAt(slot.nextStartAt);
      return false;
    }
    return true;
  }

  private async sync(): Promise<void> {
    const states = await this.options.runner.status(this.pod);
    const now = this.options.clock.now().getTime();
    if (!(await this.syncInit(states, now))) {
      for (const slot of this.slots) slot.waiting ??= { reason: 'PodInitializing' };
      return this.refreshStatus();
    }
    for (const slot of this.slots) {
      if (this.closed) return;
      const state = states.get(slot.spec.name);
      slot.runtime = state;
      if (state?.state === 'running') {
        slot.waiting = undefined;
        slot.restartCount = state.restartCount;
        this.ensureProbes(slot, state);
        continue;
      }
      if (state?.state === 'exited' && slot.handledExitId !== state.id) this.observeExit(slot, state, now);
      if (!state && slot.nextStartAt === undefined && slot.handledExitId === undefined) slot.nextStartAt = now;
      if (slot.nextStartAt === undefined) continue;
      if (now >= slot.nextStartAt) await this.startContainer(slot, now);
      else this.wakeAt(slot.nextStartAt);
    }
    this.refreshStatus();
  }

  private observeExit(slot: Slot, state: Extract<ContainerRuntimeState, { state: 'exited' }>, now: number, policy = this.pod.pod.spec.restartPolicy ?? 'Always'): void {
    slot.handledExitId = state.id;
    this.stopProbes(slot);
    const terminated: Terminated = {
      terminated: { exitCode: state.exitCode, reason: state.reason, startedAt: state.startedAt.toISOString(), finishedAt: state.finishedAt.toISOString(), ...(state.message ? { message: state.message } : {}) },
    };
    slot.lastTerminated = terminated;
    const restart = policy === 'Always' || (policy === 'OnFailure' && state.exitCode !== 0);
    this.options.log.info(`agent: ${this.name}/${slot.spec.name} exited with code ${state.exitCode} (${state.reason})${restart ? '' : `; restartPolicy ${policy}: not restarting`}`);
    if (!restart) {
      slot.nextStartAt = undefined;
      return;
    }
    const backoff = nextBackoff(this.options.backoff, slot.backoff, state.finishedAt.getTime() - state.startedAt.getTime());
    slot.backoff = backoff.state;
    slot.restartCount = state.restartCount + 1;
    slot.nextStartAt = now + backoff.delayMs;
    if (backoff.delayMs > 0) {
      slot.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(backoff.delayMs / 1000)}s restarting failed container=${slot.spec.name} pod=${this.pod.pod.metadata.name}` };
      this.options.onEvent?.('Warning', 'BackOff', 'Back-off restarting failed container');
    }
  }

  private async startContainer(slot: Slot, now: number): Promise<void> {
    try {
      slot.runtime = await this.options.runner.startContainer(this.pod, slot.spec, slot.restartCount, this.stopping.signal);
      slot.waiting = undefined;
      slot.nextStartAt = undefined;
      if (slot.runtime.state === 'running') this.ensureProbes(slot, slot.runtime);
    } catch (err) {
      if (this.closed) return; // stopped meanwhile: the aborted start is no failure
      if (!(err instanceof ContainerStartError)) throw err;
      const backoff = nextBackoff(this.options.backoff, slot.backoff ?? { lastDelayMs: 0 }, 0);
      slot.backoff = backoff.state;
      slot.nextStartAt = now + backoff.delayMs;
      if (slot.waiting?.message !== err.message) this.options.log.warn(`agent: cannot start ${this.name}/${slot.spec.name}: ${err.message}`);
      // The kubelet shows ErrImagePull for the failed pull and ImagePullBackOff while it waits to try again.
      const pullBackOff = err.reason === 'ErrImagePull' && (slot.waiting?.reason === 'ErrImagePull' || slot.waiting?.reason === 'ImagePullBackOff');
      slot.waiting = pullBackOff ? { reason: 'ImagePullBackOff', message: `Back-off pulling image "${slot.spec.image}": ${err.message}` } : { reason: err.reason, message: err.message };
      if (pullBackOff) this.options.onEvent?.('Normal', 'BackOff', `Back-off pulling image "${slot.spec.image}"`);
      this.wakeAt(slot.nextStartAt);
    }
  }

  /** Syncs again at `at` (a back-off's end); one timer, for the earliest time asked. */
  private wakeAt(at: number): void {
    if (this.wake && this.wake.at <= at) return;
    clearTimeout(this.wake?.timer);
    const timer = setTimeout(() => {
      this.wake = undefined;
      void this.requestSync();
    }, Math.max(0, at - this.options.clock.now().getTime()));
    this.wake = { at, timer };
  }

  private ensureProbes(slot: Slot, state: Extract<ContainerRuntimeState, { state: 'running' }>): void {
    if (slot.probedId === state.id) return;
    this.stopProbes(slot);
    slot.probedId = state.id;
    slot.started = !slot.spec.startupProbe;
    slot.ready = slot.started && !slot.spec.readinessProbe;
    if (slot.spec.startupProbe) this.addProbe(slot, 'startup', state);
    else this.addRunningProbes(slot, state);
  }

  private addRunningProbes(slot: Slot, state: Extract<ContainerRuntimeState, { state: 'running' }>): void {
    if (slot.spec.livenessProbe) this.addProbe(slot, 'liveness', state);
    if (slot.spec.readinessProbe) this.addProbe(slot, 'readiness', state);
  }

  private addProbe(slot: Slot, kind: ProbeKind, state: Extract<ContainerRuntimeState, { state: 'running' }>): void {
    const probe = slot.spec[`${kind}Probe`]!;
    const worker = new ProbeWorker(kind, probe, this.target(slot), (k, result, outcome) => this.onProbe(slot, state, k, result, outcome));
    slot.probes.push(worker);
    worker.start(this.options.clock.now().getTime() - state.startedAt.getTime());
  }

  /** Where the container's probes and hooks act: its pod IP, or an exec in it. */
  private target(slot: Slot): ProbeTarget {
    return {
      podIP: this.podIPs()[0] ?? this.options.nodeAddress,
      container: slot.spec,
      exec: (command: string[], timeoutMs: number) => this.options.runner.exec(this.pod, slot.spec.name, command, timeoutMs),
    };
  }

  private onProbe(slot: Slot, state: Extract<ContainerRuntimeState, { state: 'running' }>, kind: ProbeKind, result: boolean, outcome: ProbeOutcome): void {
    if (this.closed || slot.probedId !== state.id) return;
    if (!result) this.options.onEvent?.('Warning', 'Unhealthy', `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${outcome.message}`);
    if (kind === 'readiness') {
      slot.ready = result;
      this.options.log.info(`agent: ${this.name}/${slot.spec.name} is ${result ? 'ready' : `not ready: ${outcome.message}`}`);
    } else if (kind === 'startup' && result) {
      slot.started = true;
      slot.ready = !slot.spec.readinessProbe;
      this.addRunningProbes(slot, state);
    } else if (!result) {
      this.options.onEvent?.('Normal', 'Killing', `Container ${slot.spec.name} failed ${kind} probe, will be restarted`);
      this.options.log.warn(`agent: ${this.name}/${slot.spec.name} failed its ${kind} probe, restarting it: ${outcome.message}`);
      this.stopProbes(slot);
      void this.preStop(slot, this.gracePeriodMs)
        .then((grace) => this.options.runner.stopContainer(this.pod, slot.spec.name, grace))
        .then(() => this.requestSync());
    }
    this.refreshStatus();
  }

  private stopProbes(slot: Slot): void {
    for (const p of slot.probes) p.stop();
    slot.probes = [];
    slot.probedId = undefined;
    slot.started = false;
    slot.ready = false;
  }

  private containerStatus(slot: Slot): ContainerStatus {
    const rt = slot.runtime;
    let state: ContainerState;
    if (rt?.state === 'running') state = { running: { startedAt: rt.startedAt.toISOString() } };
    else if (slot.waiting) state = { waiting: slot.waiting };
    else if (slot.nextStartAt === undefined && slot.lastTerminated) state = slot.lastTerminated;
    else state = { waiting: { reason: 'ContainerCreating' } };
    const running = rt?.state === 'running';
    return {
      name: slot.spec.name,
      image: slot.spec.image,
      imageID: '',
      ...(rt ? { containerID: rt.id } : {}),
      ready: running && slot.ready,
      started: running && slot.started,
      restartCount: slot.restartCount,
      state,
      lastState: slot.lastTerminated && state !== slot.lastTerminated ? slot.lastTerminated : {},
    };
  }

  /** The pod's IPs: its sandbox's when it has its own network (none before it has one), else the node's address (hostNetwork, as the kubelet reports it). */
  private podIPs(): string[] {
    if (this.pod.pod.spec.hostNetwork === true || !this.options.runner.podIPs) return [this.options.nodeAddress];
    return this.options.runner.podIPs(this.pod) ?? [];
  }

  private buildStatus(previous?: PodStatus): PodStatus {
    return buildPodStatus({
      containers: this.slots.map((s) => this.containerStatus(s)),
      ...(this.initSlots.length > 0 ? { initContainers: this.initSlots.map((s) => this.containerStatus(s)), initFailed: this.initFailed } : {}),
      restartPolicy: this.pod.pod.spec.restartPolicy,
      nodeAddress: this.options.nodeAddress,
      podIPs: this.podIPs(),
      startTime: this.startTime,
      previous: previous?.conditions,
      now: this.options.clock.now().toISOString(),
    });
  }

  private refreshStatus(): void {
    const next = this.buildStatus(this.status);
    if (JSON.stringify(next) === JSON.stringify(this.status)) return;
    this.status = next;
    this.options.onStatusChange();
  }

  private close(): void {
    this.closed = true;
    this.stopping.abort();
    clearInterval(this.interval);
    clearTimeout(this.wake?.timer);
    this.wake = undefined;
    for (const slot of [...this.initSlots, ...this.slots]) this.stopProbes(slot);
  }

  /**
   * Runs the container's preStop hook within `gracePeriodMs` (a failure is an Event, and the
   * container stops all the same); resolves with the grace period left for SIGTERM.
   */
  private async preStop(slot: Slot, gracePeriodMs: number): Promise<number> {
    const result = await runPreStopHook(slot.spec, this.target(slot), gracePeriodMs, () => this.options.clock.now().getTime());
    if (result.failure) {
      this.options.log.warn(`agent: ${this.name}/${slot.spec.name}: ${result.failure}`);
      this.options.onEvent?.('Warning', 'FailedPreStopHook', result.failure);
    }
    return result.gracePeriodMs;
  }

  /**
   * Stops the pod's containers and forgets the pod: the running containers' preStop hooks first
   * (all at once), then SIGTERM, then SIGKILL once the grace period is over.
   */
  async stop(gracePeriodMs = this.gracePeriodMs): Promise<void> {
    this.close();
    await this.syncing;
    const running = this.slots.filter((s) => s.runtime?.state === 'running' && s.spec.lifecycle?.preStop);
    const left = await Promise.all(running.map((s) => this.preStop(s, gracePeriodMs)));
    await this.options.runner.stopPod(this.pod, left.length > 0 ? Math.min(...left) : gracePeriodMs);
  }

  /** Stops watching the pod but leaves its containers running, for the next agent to adopt. */
  async detach(): Promise<void> {
    this.close();
    await this.syncing;
  }
}
