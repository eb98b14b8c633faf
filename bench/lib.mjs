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

/** Runs `fn(dir)` `runs` times, each in a fresh temp dir; returns the wall times in ms. */
export async function timeRuns(runs, prefix, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const dir = await tempDir(prefix);
    try {
      const start = performance.now();
      await fn(dir);
      times.push(performance.now() - start);
    } finally {
      await removeDir(dir);
    }
  }
  return times;
}

export const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;

export function report(label, times) {
  const m = median(times);
  console.log(`${label.padEnd(44)} median ${ms(m)}   (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
  return m;
}
