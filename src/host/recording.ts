/**
 * The dry-run host: reads see the real files plus what this run "wrote"; writes are kept in
 * memory and reported (secrets redacted) instead of touching the disk.
 */
import type { FileHost, FileStat, WriteOptions } from './files.js';

export interface RecordedWrite {
  path: string;
  mode: number;
  content: Buffer;
}

const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
/** Kubeconfig keys, bootstrap tokens, and the EncryptionConfiguration's key (`- name: k` / `secret: …`). */
const SECRET_FIELDS = /^(\s*(?:- )?(?:client-key-data|token|token-secret|secret):\s*)\S+/gm;

/** Removes private keys and token secrets from text that is about to be shown. */
export function redactSecrets(text: string): string {
  return text.replace(PRIVATE_KEY_BLOCK, '<redacted private key>').replace(SECRET_FIELDS, '$1<redacted>');
}

export class RecordingFiles implements FileHost {
  readonly writes: RecordedWrite[] = [];
  private readonly overlay = new Map<string, RecordedWrite>();
  private readonly removed = new Set<string>();

  constructor(
    private readonly real: FileHost,
    private readonly report: (write: RecordedWrite) => void = () => {},
  ) {}

  get root(): string {
    return this.real.root;
  }

  resolve(logical: string): string {
    return this.real.resolve(logical);
  }

  async readFile(logical: string): Promise<Buffer> {
    const content = await this.tryReadFile(logical);
    if (content === undefined) {
      const err: NodeJS.ErrnoException = new Error(`ENOENT: no such file ${this.resolve(logical)}`);
      err.code = 'ENOENT';
      throw err;
    }
    return content;
  }

  async tryReadFile(logical: string): Promise<Buffer | undefined> {
    const key = this.resolve(logical);
    if (this.overlay.has(key)) return this.overlay.get(key)!.content;
    if (this.removed.has(key)) return undefined;
    return this.real.tryReadFile(logical);
  }

  async writeFile(logical: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
    const write = { path: this.resolve(logical), mode: options.mode ?? 0o644, content: Buffer.from(data) };
    this.overlay.set(write.path, write);
    this.removed.delete(write.path);
    this.writes.push(write);
    this.report(write);
  }

  async mkdir(): Promise<void> {}

  async exists(logical: string): Promise<boolean> {
    return (await this.stat(logical)) !== undefined;
  }

  async stat(logical: string): Promise<FileStat | undefined> {
    const write = this.overlay.get(this.resolve(logical));
    if (write) return { mode: write.mode, size: write.content.length, isDirectory: false, mtime: new Date() };
    if (this.removed.has(this.resolve(logical))) return undefined;
    return this.real.stat(logical);
  }

  async list(logical: string): Promise<string[]> {
    const dir = this.resolve(logical);
    const names = new Set(await this.real.list(logical));
    for (const p of this.overlay.keys()) if (p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/')) names.add(p.slice(dir.length + 1));
    for (const p of this.removed) if (p.startsWith(`${dir}/`)) names.delete(p.slice(dir.length + 1));
    return [...names].sort();
  }

  readUserFile(userPath: string, maxBytes: number): Promise<Buffer> {
    return this.real.readUserFile(userPath, maxBytes);
  }

  rootWritable(): Promise<boolean> {
    return this.real.rootWritable();
  }

  async pruneEmptyDirs(): Promise<void> {}

  /** Recorded as a write of the target's content at the link's path. */
  async symlink(target: string, logical: string): Promise<void> {
    const dir = logical.replace(/\/[^/]*$/, '');
    await this.writeFile(logical, (await this.tryReadFile(`${dir}/${target}`)) ?? Buffer.alloc(0), { mode: 0o777 });
  }

  async remove(logical: string): Promise<void> {
    const key = this.resolve(logical);
    this.overlay.delete(key);
    this.removed.add(key);
  }
}
