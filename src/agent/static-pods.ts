/**
 * The static pods component: turns each manifest snapshot into running pods. A new manifest
 * starts its pod, a changed one (new uid) replaces it, a removed one stops it, and an invalid
 * one changes nothing: the pod of its last valid version keeps running. On the first snapshot
 * it reconciles with what the runtime holds from an earlier agent: pods still wanted are
 * adopted, the others (orphans) stopped. Pods stop in reverse start order.
 */
import type { Logger } from '../log.js';
import type { Component, StopMode } from './component-manager.js';
import type { ManifestSnapshot } from './manifest-source.js';
import type { StaticPod } from './pod.js';
import { PodWorker, type PodWorkerOptions } from './pod-worker.js';
import type { PodRunner } from './runner.js';
import type { PodStatus } from './status.js';
import { Listeners, type Unsubscribe } from './listeners.js';

export interface StaticPodView {
  pod: StaticPod;
  status: PodStatus;
}

export interface ManifestError {
  source: string;
  reason: string;
}

export type StaticPodsOptions = Omit<PodWorkerOptions, 'onStatusChange'> & { runner: PodRunner; log: Logger };

export class StaticPods implements Component {
  readonly name = 'static-pods';
  /** Workers by manifest path, in start order. */
  private readonly workers = new Map<string, PodWorker>();
  private errors: ManifestError[] = [];
  private first = true;
  private readonly listeners = new Listeners<[]>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(private readonly options: StaticPodsOptions) {}

  async init(): Promise<void> {
    this.unsubscribe = this.options.runner.onContainerExit((podUid) => {
      for (const w of this.workers.values()) if (w.pod.pod.metadata.uid === podUid) void w.requestSync();
    });
  }

  async start(): Promise<void> {}

  /** Ready at once: the manifest source, started next, applies its first snapshot before it is ready. */
  async ready(): Promise<void> {}

  onChange(listener: () => void): Unsubscribe {
    return this.listeners.add(listener);
  }

  private changed(): void {
    this.listeners.emit();
  }

  /** The pod worker settings (back-off, sync interval, grace period), shared with the API pods. */
  workerOptions(): Omit<StaticPodsOptions, 'runner'> {
    return this.options;
  }

  pods(): StaticPodView[] {
    return [...this.workers.values()].map((w) => ({ pod: w.pod, status: w.podStatus() }));
  }

  manifestErrors(): ManifestError[] {
    return this.errors;
  }

  /** Applies one manifest snapshot (called by the manifest source, one at a time). */
  async apply(snapshot: ManifestSnapshot): Promise<void> {
    const desired = new Map<string, StaticPod>();
    this.errors = [];
    for (const [source, parsed] of snapshot) {
      if (parsed.ok) desired.set(source, parsed.pod);
      else this.errors.push({ source, reason: parsed.reason });
    }
    if (this.first) await this.reconcileRecorded(snapshot, desired);
    for (const { source } of this.errors) {
      const running = this.workers.get(source);
      if (running) {
        this.options.log.warn(`agent: keeping ${running.name} running with the last valid version of ${source}`);
        desired.set(source, running.pod);
      }
    }
    for (const [source, worker] of [...this.workers].reverse()) {
      const want = desired.get(source);
      if (want?.pod.metadata.uid === worker.pod.pod.metadata.uid) continue;
      this.options.log.info(`agent: ${want ? 'manifest changed, restarting' : 'manifest removed, stopping'} ${worker.name}`);
      await worker.stop();
      this.workers.delete(source);
    }
    for (const [source, pod] of desired) {
      if (this.workers.has(source)) continue;
      const worker = new PodWorker(pod, { ...this.options, onStatusChange: () => this.changed() });
      this.workers.set(source, worker);
      await worker.start();
    }
    this.first = false;
    this.changed();
  }

  /**
   * Pods an earlier agent left behind: those whose manifest still says the same are adopted by
   * their new workers; a pod whose manifest is now invalid keeps running from its record; every
   * other one is an orphan and is stopped before anything new starts (it may hold the ports).
   */
  private async reconcileRecorded(snapshot: ManifestSnapshot, desired: Map<string, StaticPod>): Promise<void> {
    for (const recorded of await this.options.runner.listPods()) {
      const want = desired.get(recorded.source);
      if (want?.pod.metadata.uid === recorded.pod.metadata.uid) continue;
      const parsed = snapshot.get(recorded.source);
      if (parsed && !parsed.ok && !desired.has(recorded.source)) {
        desired.set(recorded.source, recorded);
        continue;
      }
      this.options.log.info(`agent: stopping ${recorded.pod.metadata.namespace}/${recorded.pod.metadata.name}: its manifest ${want ? 'changed' : 'is gone'}`);
      const grace = recorded.pod.spec.terminationGracePeriodSeconds;
      await this.options.runner.stopPod(recorded, grace === undefined ? this.options.defaultGracePeriodMs : grace * 1000);
    }
  }

  async stop(mode: StopMode): Promise<void> {
    this.unsubscribe?.();
    for (const worker of [...this.workers.values()].reverse()) {
      if (mode === 'detach') await worker.detach();
      else {
        this.options.log.info(`agent: stopping ${worker.name}`);
        await worker.stop();
      }
    }
    this.workers.clear();
    if (mode === 'detach') this.options.runner.detach();
  }
}
