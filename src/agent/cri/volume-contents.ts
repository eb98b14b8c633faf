/**
 * Each pod's volume contents (ConfigMap, Secret, downward API and projected files) as the CRI
 * runner needs them: written once per pod before its first container starts, again after a
 * failure, and again when a projected service-account token reaches 80% of its lifetime (the
 * kubelet's token manager), so a pod that runs for days always holds a valid token. The refresh
 * rewrites the files in the volume directory the containers mount, so they see the new token.
 */
import type { Clock } from '../../host/index.js';
import type { Logger } from '../../log.js';
import type { Pod } from '../pod.js';

export interface VolumeContentsOptions {
  /** Writes the pod's volumes; returns when they must be written again (epoch ms), if ever. */
  prepare(pod: Pod): Promise<number | undefined>;
  clock: Clock;
  log: Logger;
  /** A failed refresh is tried again after this long (10 s). */
  retryMs?: number;
}

export class VolumeContents {
  private readonly written = new Map<string, Promise<void>>();
  private readonly refreshes = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: VolumeContentsOptions) {}

  /** The pod's volumes, written (or being written) once; a failed write is tried again by the next call. */
  ensure(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid;
    const cached = this.written.get(uid);
    if (cached) return cached;
    const attempt = this.options.prepare(pod).then((refreshAt) => {
      if (refreshAt !== undefined && this.written.get(uid) === attempt) this.refreshAt(pod, refreshAt);
    });
    this.written.set(uid, attempt);
    attempt.catch(() => {
      if (this.written.get(uid) === attempt) this.written.delete(uid);
    });
    return attempt;
  }

  private refreshAt(pod: Pod, at: number): void {
    const uid = pod.metadata.uid;
    clearTimeout(this.refreshes.get(uid));
    const timer = setTimeout(() => {
      this.refreshes.delete(uid);
      if (!this.written.has(uid)) return; // forgotten meanwhile
      this.written.delete(uid);
      this.ensure(pod).catch((err: Error) => {
        this.options.log.warn(`agent: refreshing the volumes of ${pod.metadata.namespace}/${pod.metadata.name}: ${err.message}`);
        this.written.set(uid, Promise.resolve()); // the old contents stay until the retry
        this.refreshAt(pod, this.options.clock.now().getTime() + (this.options.retryMs ?? 10_000));
      });
    }, Math.max(0, at - this.options.clock.now().getTime()));
    timer.unref();
    this.refreshes.set(uid, timer);
  }

  /** The pod stopped: no more refreshes, and a new start writes everything again. */
  forget(uid: string): void {
    clearTimeout(this.refreshes.get(uid));
    this.refreshes.delete(uid);
    this.written.delete(uid);
  }

  clear(): void {
    for (const uid of [...this.written.keys(), ...this.refreshes.keys()]) this.forget(uid);
  }
}
