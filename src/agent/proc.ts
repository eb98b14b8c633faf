/**
 * Process identity for the process runner. A pid alone can be recycled, so a process is known by
 * its pid plus its start time (field 22 of /proc/<pid>/stat, in clock ticks since boot): a pid
 * file is only adopted when both match. Reads /proc through the host's system probe.
 */
import type { SystemProbe } from '../host/index.js';

export interface ProcessIdentity {
  pid: number;
  startTicks: number;
}

export interface ProcStat {
  state: string;
  startTicks: number;
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses, so split after the last `)`. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const startTicks = Number(fields[19]);
  if (!fields[0] || !Number.isFinite(startTicks)) return undefined;
  return { state: fields[0], startTicks };
}

export async function procStat(system: SystemProbe, pid: number): Promise<ProcStat | undefined> {
  const text = await system.readSystemFile(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** True while the very process `identity` names runs (not exited, not a zombie, pid not recycled). */
export async function isRunning(system: SystemProbe, identity: ProcessIdentity): Promise<boolean> {
  const stat = await procStat(system, identity.pid);
  return stat !== undefined && stat.startTicks === identity.startTicks && stat.state !== 'Z' && stat.state !== 'X';
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops a process and its group: SIGTERM, then SIGKILL after `gracePeriodMs`; resolves once the
 * process is gone. `running` tells whether it still runs (for our own children: no exit event yet).
 */
export async function terminate(identity: ProcessIdentity, gracePeriodMs: number, running: () => Promise<boolean>): Promise<void> {
  // A process that is already gone is left alone: its pid may belong to someone else by now.
  if (!(await running())) return;
  signalGroup(identity.pid, 'SIGTERM');
  const deadline = Date.now() + gracePeriodMs;
  while (Date.now() < deadline) {
    if (!(await running())) break;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
  // Whatever is left of the group (the leader after the grace period, or stray children) is killed.
  signalGroup(identity.pid, 'SIGKILL');
  // SIGKILL cannot be ignored; the bound only guards against a `running` that never turns false.
  const killDeadline = Date.now() + KILL_WAIT_MS;
  while ((await running()) && Date.now() < killDeadline) await sleep(20);
}

const KILL_WAIT_MS = 10_000;
