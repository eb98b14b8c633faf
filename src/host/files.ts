/** Real file access under a root, with atomic writes (temp file, fsync, rename) and explicit modes. */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KubeforgeError, validationError } from '../errors.js';
import { underRoot } from './paths.js';

export interface FileStat {
  mode: number;
  size: number;
  isDirectory: boolean;
  mtime: Date;
  /** Owner and group ids (absent for files a dry run only recorded). */
  uid?: number;
  gid?: number;
}

export interface WriteOptions {
  /** File mode, e.g. 0o600 for keys; defaults to 0o644. */
  mode?: number;
}

/** File operations on logical paths (mapped under the root). */
export interface FileHost {
  readonly root: string;
  /** The real path of a logical one. */
  resolve(logical: string): string;
  readFile(logical: string): Promise<Buffer>;
  /** The file's content, or undefined when it does not exist. */
  tryReadFile(logical: string): Promise<Buffer | undefined>;
  /** Writes atomically: a crash leaves either the old file or the new one, never half of one. */
  writeFile(logical: string, data: string | Uint8Array, options?: WriteOptions): Promise<void>;
  mkdir(logical: string, mode?: number): Promise<void>;
  exists(logical: string): Promise<boolean>;
  stat(logical: string): Promise<FileStat | undefined>;
  list(logical: string): Promise<string[]>;
  remove(logical: string): Promise<void>;
  /** Points the symbolic link `logical` at `target` (a name relative to the link's directory), replacing it atomically. */
  symlink(target: string, logical: string): Promise<void>;
  /** Reads a file the user named on the command line (`--config`), NOT mapped under the root. */
  readUserFile(userPath: string, maxBytes: number): Promise<Buffer>;
  /** Whether files can be created under the root (the root itself, or its nearest existing parent). */
  rootWritable(): Promise<boolean>;
  /** Removes every empty directory below `logical` (not `logical` itself), deepest first. */
  pruneEmptyDirs(logical: string): Promise<void>;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

const tempName = (target: string) => `.${path.basename(target)}.`;

/** Temp files a killed earlier write left beside `target` (`.<name>.<random>.tmp`). */
async function removeStaleTemps(target: string): Promise<void> {
  const prefix = tempName(target);
  const dir = path.dirname(target);
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await fs.rm(path.join(dir, name), { force: true });
  }
}

export class RealFiles implements FileHost {
  constructor(readonly root: string) {}

  resolve(logical: string): string {
    return underRoot(this.root, logical);
  }

  async readFile(logical: string): Promise<Buffer> {
    return fs.readFile(this.resolve(logical));
  }

  async tryReadFile(logical: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.resolve(logical));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async writeFile(logical: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
    const target = this.resolve(logical);
    const mode = options.mode ?? 0o644;
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(path.dirname(target), `${tempName(target)}${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await fs.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
      try {
        await handle.writeFile(data);
        await handle.chmod(mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target);
      await removeStaleTemps(target);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw new KubeforgeError('KF_WRITE_FAILED', `cannot write ${target}: ${(err as Error).message}`, {
        cause: err,
        hint: 'check that the directory is writable (use --root DIR to run unprivileged)',
      });
    }
  }

  async mkdir(logical: string, mode = 0o755): Promise<void> {
    await fs.mkdir(this.resolve(logical), { recursive: true, mode });
  }

  async exists(logical: string): Promise<boolean> {
    return (await this.stat(logical)) !== undefined;
  }

  async stat(logical: string): Promise<FileStat | undefined> {
    try {
      const s = await fs.stat(this.resolve(logical));
      return { mode: s.mode & 0o7777, size: s.size, isDirectory: s.isDirectory(), mtime: s.mtime, uid: s.uid, gid: s.gid };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(logical: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.resolve(logical))).sort();
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async remove(logical: string): Promise<void> {
    await fs.rm(this.resolve(logical), { recursive: true, force: true });
  }

  async symlink(target: string, logical: string): Promise<void> {
    const link = this.resolve(logical);
    const temp = `${link}.tmp-link-${process.pid}`;
    await fs.rm(temp, { force: true });
    await fs.symlink(target, temp);
    await fs.rename(temp, link);
  }

  async readUserFile(userPath: string, maxBytes: number): Promise<Buffer> {
    const real = path.resolve(userPath);
    let size: number;
    try {
      size = (await fs.stat(real)).size;
    } catch (err) {
      throw validationError('KF_FILE_UNREADABLE', `cannot read ${real}: ${(err as Error).message}`, { cause: err });
    }
    if (size > maxBytes) {
      throw validationError('KF_FILE_TOO_LARGE', `${real} is ${size} bytes, more than the ${maxBytes} bytes allowed`, {
        hint: 'pass the right file; configuration files are small',
      });
    }
    return fs.readFile(real);
  }

  async pruneEmptyDirs(logical: string): Promise<void> {
    const prune = async (dir: string): Promise<boolean> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
      let empty = true;
      for (const entry of entries) {
        const child = path.join(dir, entry.name);
        if (entry.isDirectory() && (await prune(child))) await fs.rmdir(child);
        else empty = false;
      }
      return empty;
    };
    await prune(this.resolve(logical));
  }

  async rootWritable(): Promise<boolean> {
    let dir = this.root;
    for (;;) {
      try {
        const s = await fs.stat(dir);
        if (!s.isDirectory()) return false;
        await fs.access(dir, fsConstants.W_OK);
        return true;
      } catch (err) {
        if (!isNotFound(err) || path.dirname(dir) === dir) return false;
        dir = path.dirname(dir);
      }
    }
  }
}
