/** Test helpers: a Host whose files live in a fresh temp root and whose system is a FakeSystem. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeSystem, type FakeSystemState } from '../../src/host/fake-system.js';
import { RealFiles } from '../../src/host/files.js';
import { systemClock, type Host } from '../../src/host/index.js';
import { RealProcesses } from '../../src/host/processes.js';
import type { Check, CheckResult } from '../../src/preflight/types.js';

export interface TestHost extends Host {
  readonly system: FakeSystem;
  /** Removes the temp root. */
  cleanup(): void;
}

const created: TestHost[] = [];

/** Removes the temp roots of every host made so far (call it from afterEach). */
export function cleanupFakeHosts(): void {
  for (const host of created.splice(0)) host.cleanup();
}

export function fakeHost(overrides: Partial<FakeSystemState> = {}): TestHost {
  const root = mkdtempSync(path.join(tmpdir(), 'kubeforge-preflight-'));
  const host: TestHost = {
    files: new RealFiles(root),
    processes: new RealProcesses(),
    system: new FakeSystem(overrides),
    clock: systemClock,
    dryRun: false,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  created.push(host);
  return host;
}

export function runCheck(check: Check, host: Host): Promise<CheckResult> {
  return check.run({ host });
}
