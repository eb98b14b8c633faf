/**
 * The audit log file (--audit-log-path and its -maxsize/-maxbackup/-maxage), rotated as
 * upstream's backend (gopkg.in/natefinch/lumberjack.v2) does: one JSON line per event; past
 * maxsize megabytes (100 when 0) the file is renamed to `<name>-<UTC time>.<ext>` and a new one
 * opened (0600); backups beyond maxbackup (0: all kept) or older than maxage days (0: kept) are
 * removed. `-` writes to stdout. Writes are synchronous (upstream's default "blocking" mode): an
 * acknowledged request has its event in the file. Like the agent's container logs, this touches
 * the file system directly: it is an append-only stream, not a file the Host writes atomically.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface AuditLogOptions {
  /** Real path of the log, or `-` for stdout. */
  path: string;
  maxSizeBytes: number;
  maxBackups: number;
  maxAgeDays: number;
  now?: () => Date;
}

export interface AuditSink {
  write(line: string): void;
  close(): void;
}

const MB = 1024 * 1024;
const DEFAULT_MAX_SIZE_MB = 100;

/** lumberjack's backup time format, 2006-01-02T15-04-05.000, in UTC. */
export function backupName(file: string, at: Date): string {
  const ext = path.extname(file);
  const stamp = at.toISOString().replace(/:/g, '-').replace(/Z$/, '');
  return path.join(path.dirname(file), `${path.basename(file, ext)}-${stamp}${ext}`);
}

/** The flag values in megabytes/days as upstream reads them. */
export function auditLogOptions(file: string, maxSizeMB: number, maxBackups: number, maxAgeDays: number): AuditLogOptions {
  return { path: file, maxSizeBytes: (maxSizeMB > 0 ? maxSizeMB : DEFAULT_MAX_SIZE_MB) * MB, maxBackups, maxAgeDays };
}

export function openAuditLog(options: AuditLogOptions): AuditSink {
  if (options.path === '-') return { write: (line) => void process.stdout.write(line), close: () => {} };
  return new RotatingFile(options);
}

class RotatingFile implements AuditSink {
  private fd: number;
  private size: number;
  private readonly now: () => Date;

  constructor(private readonly options: AuditLogOptions) {
    this.now = options.now ?? (() => new Date());
    fs.mkdirSync(path.dirname(options.path), { recursive: true, mode: 0o700 });
    this.fd = fs.openSync(options.path, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(line: string): void {
    const bytes = Buffer.from(line);
    if (this.size > 0 && this.size + bytes.length > this.options.maxSizeBytes) this.rotate();
    fs.writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    fs.renameSync(this.options.path, backupName(this.options.path, this.now()));
    this.fd = fs.openSync(this.options.path, 'a', 0o600);
    this.size = 0;
    this.prune();
  }

  /** Removes backups past maxbackup (newest kept) and older than maxage days. */
  private prune(): void {
    const file = this.options.path;
    const ext = path.extname(file);
    const base = path.basename(file, ext);
    const pattern = new RegExp(`^${escape(base)}-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3})${escape(ext)}$`);
    const backups = fs
      .readdirSync(path.dirname(file))
      .map((name) => ({ name, stamp: pattern.exec(name)?.[1] }))
      .filter((b): b is { name: string; stamp: string } => b.stamp !== undefined)
      .map((b) => ({ name: b.name, at: Date.parse(`${b.stamp.slice(0, 10)}T${b.stamp.slice(11).replace(/-/g, ':')}Z`) }))
      .sort((a, b) => b.at - a.at);
    const cutoff = this.now().getTime() - this.options.maxAgeDays * 24 * 3600 * 1000;
    backups.forEach((backup, i) => {
      const tooMany = this.options.maxBackups > 0 && i >= this.options.maxBackups;
      const tooOld = this.options.maxAgeDays > 0 && backup.at < cutoff;
      if (tooMany || tooOld) fs.rmSync(path.join(path.dirname(file), backup.name), { force: true });
    });
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
