/** Running outside programs (execa). The only place besides the agent's runner that starts processes. */
import { execa } from 'execa';

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

export interface ProcessHost {
  /** Runs a command to completion; a non-zero exit is returned, not thrown. A missing binary throws. */
  run(command: string, args: string[], options?: RunOptions): Promise<RunResult>;
}

export class RealProcesses implements ProcessHost {
  async run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
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
