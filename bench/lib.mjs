// Shared helpers for benchmarks: temp roots, timing, medians, aligned output.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function tempDir(prefix) {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir) {
  await fs.rm(dir, { recursive: true, force: true });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `fn(dir)` `runs` times, each in a fresh temp dir. Returns wall times and CPU times in ms;
 * CPU is this process's (all threads) unless `fn` returns its own CPU figure (for child processes).
 */
export async function timeRuns(runs, prefix, fn) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const dir = await tempDir(prefix);
    try {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      const childCpu = await fn(dir);
      wall.push(performance.now() - start);
      const used = process.cpuUsage(cpuStart);
      cpu.push(typeof childCpu === 'number' ? childCpu : (used.user + used.system) / 1000);
    } finally {
      await removeDir(dir);
    }
  }
  return { wall, cpu };
}

export const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;

/** Prints the median wall time (and CPU time) of a timeRuns result; returns the wall median. */
export function report(label, { wall, cpu }) {
  const m = median(wall);
  console.log(`${label.padEnd(40)} wall median ${ms(m)}  cpu median ${ms(median(cpu))}   (wall runs: ${wall.map((t) => t.toFixed(0)).join(', ')})`);
  return m;
}
