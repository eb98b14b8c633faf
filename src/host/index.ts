/**
 * The outside world behind interfaces: files under --root, processes, the clock and system
 * facts. Only this folder (and the agent's process runner) touches fs, child_process/execa
 * and systeminformation, so commands run unchanged against a recording host (--dry-run)
 * or a fake one (unit tests).
 */
import { RealFiles, type FileHost } from './files.js';
import { RealProcesses, RecordingProcesses, type ProcessHost } from './processes.js';
import { RecordingFiles, type RecordedWrite } from './recording.js';
import { RealSystem, type SystemProbe } from './system.js';

export * from './paths.js';
export type { FileHost, FileStat, WriteOptions } from './files.js';
export type { DetachedOptions, ProcessHost, RunResult, RunOptions } from './processes.js';
export type { SystemProbe, BindResult, UnixSocketState } from './system.js';
export { RecordingFiles, redactSecrets, type RecordedWrite } from './recording.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Host {
  readonly files: FileHost;
  readonly processes: ProcessHost;
  readonly system: SystemProbe;
  readonly clock: Clock;
  /** True for the recording (dry-run) host. */
  readonly dryRun: boolean;
}

export function createHost(root: string): Host {
  return { files: new RealFiles(root), processes: new RealProcesses(), system: new RealSystem(), clock: systemClock, dryRun: false };
}

/** A host whose writes and process starts are reported and never happen. */
export function createDryRunHost(root: string, reportWrite: (write: RecordedWrite) => void, reportProcess: (line: string) => void): Host {
  const real = createHost(root);
  return { ...real, files: new RecordingFiles(real.files, reportWrite), processes: new RecordingProcesses(real.processes, reportProcess), dryRun: true };
}
export { readTemplate, TEMPLATES_DIR } from './templates.js';
export { readAccounts, type Accounts } from './accounts.js';
