/** Running outside programs (execa). The only place besides the agent's runner that starts processes. */
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

export interface DetachedOptions {
  /** Real path of the file that gets the process's stdout and stderr (appended). */
  logFile: string;
  env?: Record<string, string>;
}

export interface ProcessHost {
  /** Runs a command to completion; a non-zero exit is returned, not thrown. A missing binary throws. */
  run(command: string, args: string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-running process in its own session that outlives this one; returns its pid. */
  spawnDetached(command: string, args: string[], options: DetachedOptions): Promise<number>;
  /** Whether a process with this pid exists. */
  isAlive(pid: number): boolean;
  /** Sends a signal; false when the process is already gone. */
  signal(pid: number, signal: NodeJS.Signals): boolean;
}

export class RealProcesses implements ProcessHost {
  async spawnDetached(command: string, args: string[], options: DetachedOptions): Promise<number> {
    await mkdir(path.dirname(options.logFile), { recursive: true });
    const log = await open(options.logFile, 'a', 0o600);
    try {
      const child = spawn(command, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env, ...options.env } });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid!));
        child.once('error', reject);
      });
      child.unref();
      return pid;
    } finally {
      await log.close();
    }
  }

  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  async run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    // Loaded on first use: most commands never run a program, and execa is a hundred modules.
    const { execa } = await import('execa');
    const result = await execa(command, args, {
      reject: false,
      env: options.env,
      input: options.input,
      timeout: options.timeoutMs,
      stripFinalNewline: false,
    });
    if (result.failed && result.exitCode === undefined) throw result;
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }
}

/**
 * The dry-run process host: short read-only commands (`etcd --version`) still run; starting or
 * signalling a long-running process is only reported.
 */
export class RecordingProcesses implements ProcessHost {
  constructor(
    private readonly real: ProcessHost,
    private readonly report: (line: string) => void,
  ) {}

  run(command: string, args: string[], options?: RunOptions): Promise<RunResult> {
    return this.real.run(command, args, options);
  }

  async spawnDetached(command: string, args: string[], options: DetachedOptions): Promise<number> {
    this.report(`Would start process: ${[command, ...args].join(' ')} (log ${options.logFile})`);
    return -1;
  }

  isAlive(): boolean {
    return false;
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    this.report(`Would send ${signal} to process ${pid}`);
    return false;
  }
}
