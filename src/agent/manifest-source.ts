/**
 * The static-pod manifest source: the kubelet's file source for staticPodPath. It re-reads the
 * manifest directory when fs.watch reports a change and every `rescanMs` regardless (the kubelet
 * re-checks every 20 s; watches miss events on some file systems and on a directory created
 * later), and reports the parsed set whenever it differs from the previous one.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { FileHost } from '../host/index.js';
import { MANIFESTS_DIR } from '../host/index.js';
import type { Logger } from '../log.js';
import { parseStaticPod, type ParseResult } from './pod.js';
import { Listeners, type Unsubscribe } from './listeners.js';

/** Every manifest file by logical path, parsed or with the reason it is invalid. */
export type ManifestSnapshot = Map<string, ParseResult>;

export interface ManifestSourceOptions {
  files: FileHost;
  nodeName: string;
  log: Logger;
  rescanMs: number;
  dir?: string;
}

const MANIFEST_FILE = /^[^.].*\.(ya?ml|json)$/;

export class ManifestSource {
  private readonly dir: string;
  private readonly texts = new Map<string, string>();
  private snapshot: ManifestSnapshot | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private readonly listeners = new Listeners<[ManifestSnapshot]>();

  constructor(private readonly options: ManifestSourceOptions) {
    this.dir = options.dir ?? MANIFESTS_DIR;
  }

  onUpdate(listener: (snapshot: ManifestSnapshot) => Promise<void> | void): Unsubscribe {
    return this.listeners.add(listener);
  }

  /** Scans once (the listeners run before this resolves), then watches. */
  async start(): Promise<void> {
    // Created up front so the watch works from the start, even when init writes the manifests later.
    await this.options.files.mkdir(this.dir);
    await this.rescan();
    this.timer = setInterval(() => void this.rescan(), this.options.rescanMs);
  }

  /** Reads the directory now; resolves after the listeners handled any change. */
  rescan(): Promise<void> {
    this.scanning = this.scanning.then(() => this.scan()).catch((err: unknown) => this.options.log.warn(`agent: reading ${this.dir} failed: ${(err as Error).message}`));
    return this.scanning;
  }

  private ensureWatch(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.options.files.resolve(this.dir), () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.rescan(), 50);
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // The directory does not exist yet: the periodic re-scan finds it and watches then.
    }
  }

  private async scan(): Promise<void> {
    this.ensureWatch();
    const { files, nodeName, log } = this.options;
    const names = (await files.list(this.dir)).filter((n) => MANIFEST_FILE.test(n));
    const next: ManifestSnapshot = new Map();
    let changed = names.length !== this.snapshot?.size;
    for (const name of names) {
      const source = `${this.dir}/${name}`;
      const text = (await files.tryReadFile(source))?.toString('utf8');
      if (text === undefined) continue;
      const previous = this.snapshot?.get(source);
      if (previous && this.texts.get(source) === text) {
        next.set(source, previous);
        continue;
      }
      changed = true;
      this.texts.set(source, text);
      const parsed = parseStaticPod(text, source, nodeName);
      if (!parsed.ok) log.warn(`agent: static pod manifest ${source} is invalid: ${parsed.reason}`);
      next.set(source, parsed);
    }
    for (const source of this.texts.keys()) if (!next.has(source)) this.texts.delete(source);
    if (!changed) return;
    this.snapshot = next;
    await this.listeners.emitInOrder(next);
  }

  current(): ManifestSnapshot {
    return this.snapshot ?? new Map();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    await this.scanning;
  }
}
