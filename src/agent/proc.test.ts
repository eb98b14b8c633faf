import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RealSystem } from '../host/system.js';
import { isRunning, parseProcStat, procStat } from './proc.js';

describe('process identity', () => {
  it('parses /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[19] = '123456';
    expect(parseProcStat(`42 (my (odd) name) ${fields.join(' ')}`)).toEqual({ state: 'S', startTicks: 123456 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('does not take a recycled pid (different start time) or an exited process for the one recorded', async () => {
    const system = new RealSystem();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const stat = await procStat(system, child.pid!);
      expect(stat?.startTicks).toBeGreaterThan(0);
      expect(await isRunning(system, { pid: child.pid!, startTicks: stat!.startTicks })).toBe(true);
      expect(await isRunning(system, { pid: child.pid!, startTicks: stat!.startTicks - 1 })).toBe(false);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(await isRunning(system, { pid: child.pid!, startTicks: stat!.startTicks })).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
