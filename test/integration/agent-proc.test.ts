/** The agent's process identity against a real child process and the real /proc. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isRunning, procStat } from '../../src/agent/proc.js';
import { RealSystem } from '../../src/host/system.js';

describe('process identity', () => {
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
