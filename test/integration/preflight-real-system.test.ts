/** The init checks against this machine's real /proc, /sys, PATH and ports, with a fresh temp root. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { defaultInitConfig } from '../../src/config/defaults.js';
import { createHost } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { initChecks } from '../../src/preflight/checklist.js';
import { runPreflight } from '../../src/preflight/run.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

const IP_FORWARD = 'FileContent--proc-sys-net-ipv4-ip_forward';

it('passes every init check on this machine for a node on its own loopback address', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'kubeforge-preflight-real-'));
  roots.push(root);
  // an address no other node on this machine uses
  const address = `127.77.${process.pid % 250}.${1 + Math.floor(Math.random() * 250)}`;
  const checks = initChecks(defaultInitConfig(hostname(), address), { rootIsSlash: false });
  // ip forwarding is a setting of the machine: with no container runtime here it is a warning
  // when off (the bundled agent runs host-network processes), never silently ok
  const forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').startsWith('1');
  const report = await runPreflight(createHost(root), checks, new Set(), createMemoryLogger());

  expect(report.passed).toBe(true);
  for (const check of report.checks) {
    if (check.name === IP_FORWARD) expect(check.status).toBe(forwarding ? 'ok' : 'warning');
    else expect({ name: check.name, status: check.status, errors: check.errors }).toEqual({ name: check.name, status: expect.stringMatching(/^(ok|warning)$/), errors: [] });
  }
  expect(report.checks.map((c) => c.name)).toContain('Port-6443');
});
