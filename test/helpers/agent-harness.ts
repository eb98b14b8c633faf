/** Helpers for the agent's process tests: temp roots, fixture pods, waiting, and killing every process a test started. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { createHost, type Host } from '../../src/host/index.js';

export const FIXTURE_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent-fixture-server.mjs');

export function tempRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'kf-agent-'));
}

import { freePort } from './net.js';

export { freePort };

export interface FixturePodOptions {
  /** Added to the command line so cleanupRoot finds the process (use the test's root). */
  tag: string;
  name: string;
  port: number;
  args?: string[];
  image?: string;
  readiness?: boolean;
  liveness?: { failureThreshold?: number; periodSeconds?: number };
  terminationGracePeriodSeconds?: number;
}

/** A static pod manifest running the fixture server with node, probed on /healthz. */
export function fixturePod(o: FixturePodOptions): Record<string, unknown> {
  const httpGet = { host: '127.0.0.1', port: o.port, path: '/healthz' };
  const container: Record<string, unknown> = {
    name: o.name,
    image: o.image ?? 'example.test/fixture:1',
    command: ['node', FIXTURE_SERVER, `--port=${o.port}`, `--name=${o.name}`, `--tag=${o.tag}`, ...(o.args ?? [])],
  };
  if (o.readiness !== false) container.readinessProbe = { httpGet, periodSeconds: 1, failureThreshold: 1 };
  if (o.liveness) container.livenessProbe = { httpGet, periodSeconds: o.liveness.periodSeconds ?? 1, failureThreshold: o.liveness.failureThreshold ?? 1 };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: 'kube-system' },
    spec: {
      hostNetwork: true,
      ...(o.terminationGracePeriodSeconds === undefined ? {} : { terminationGracePeriodSeconds: o.terminationGracePeriodSeconds }),
      containers: [container],
    },
  };
}

export async function writeManifest(host: Host, file: string, pod: Record<string, unknown> | string): Promise<void> {
  await host.files.writeFile(`/etc/kubernetes/manifests/${file}`, typeof pod === 'string' ? pod : yaml.dump(pod));
}

export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid inside a process runner container id (`process://<pid>.<ticks>`). */
export function pidOf(containerID: string | undefined): number | undefined {
  const m = /^process:\/\/(\d+)\./.exec(containerID ?? '');
  return m ? Number(m[1]) : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line contains `needle`. */
export function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle) && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Kills every process whose command line mentions the root (all the test's pods), then removes the root. */
export async function cleanupRoot(root: string, extraPids: Iterable<number> = []): Promise<void> {
  const pids = new Set([...processesWith(root), ...extraPids]);
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await waitFor('test processes to exit', () => [...pids].every((p) => !isAlive(p)), 5000);
  rmSync(root, { recursive: true, force: true });
}

export function hostFor(root: string): Host {
  return createHost(root);
}
