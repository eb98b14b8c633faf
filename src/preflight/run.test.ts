import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../errors.js';
import { createMemoryLogger } from '../log.js';
import { PreflightError, runPreflight } from './run.js';
import { cleanupFakeHosts, fakeHost } from '../../test/helpers/fake-host.js';
import type { Check, CheckResult } from './types.js';

afterEach(cleanupFakeHosts);

const check = (name: string, result: CheckResult, fix?: string, delayMs = 0): Check => ({
  name,
  fix,
  run: () => new Promise((resolve) => setTimeout(() => resolve(result), delayMs)),
});

const cpu = check('NumCPU', { errors: ['the number of available CPUs 1 is less than the required 2'], warnings: [] }, 'use 2 CPUs');
const swap = check('Swap', { errors: [], warnings: ['swap is on'] });
const good = check('Mem', { errors: [], warnings: [], info: ['4096 MB'] });

async function failure(promise: Promise<unknown>): Promise<PreflightError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof PreflightError)) throw new Error(`expected a PreflightError, got ${String(err)}`);
  return err;
}

describe('runPreflight', () => {
  it('returns a report with every check, its status and messages', async () => {
    const log = createMemoryLogger();
    const report = await runPreflight(fakeHost(), [good, swap], new Set(), log);
    expect(report).toEqual({
      kind: 'PreflightReport',
      passed: true,
      checks: [
        { name: 'Mem', status: 'ok', errors: [], warnings: [], info: ['4096 MB'], durationMs: expect.any(Number) },
        { name: 'Swap', status: 'warning', errors: [], warnings: ['swap is on'], info: [], durationMs: expect.any(Number) },
      ],
    });
  });

  it('prints kubeadm lines on the logger: the banner and tab-indented warnings', async () => {
    const log = createMemoryLogger();
    await runPreflight(fakeHost(), [good, swap], new Set(), log);
    expect(log.lines).toEqual(['[preflight] Running pre-flight checks', '\t[WARNING Swap]: swap is on']);
  });

  it('shows what checks found only at -v 1', async () => {
    const log = createMemoryLogger(1);
    await runPreflight(fakeHost(), [good], new Set(), log);
    expect(log.lines).toContain('\t[INFO Mem]: 4096 MB');
  });

  it('throws KF_PREFLIGHT listing every failed check, with fixes and the ignore flag in the hint', async () => {
    const log = createMemoryLogger();
    const mem = check('Mem', { errors: ['the system RAM (512 MB) is less than the minimum 1700 MB'], warnings: [] }, 'add RAM');
    const err = await failure(runPreflight(fakeHost(), [cpu, swap, mem], new Set(), log));
    expect(err.code).toBe('KF_PREFLIGHT');
    expect(err.message).toBe('[preflight] Some fatal errors occurred:');
    expect(err.exitCode).toBe(ExitCode.Preflight);
    expect(err.details).toEqual([
      '[ERROR NumCPU]: the number of available CPUs 1 is less than the required 2',
      '[ERROR Mem]: the system RAM (512 MB) is less than the minimum 1700 MB',
    ]);
    expect(err.hint).toContain('NumCPU: use 2 CPUs');
    expect(err.hint).toContain('Mem: add RAM');
    expect(err.hint).toContain('--ignore-preflight-errors=NumCPU,Mem');
    expect(err.report.passed).toBe(false);
    expect(err.report.checks.map((c) => c.status)).toEqual(['error', 'warning', 'error']);
  });

  it('turns ignored errors into warnings marked (ignored), case-insensitively, and passes', async () => {
    const log = createMemoryLogger();
    const report = await runPreflight(fakeHost(), [cpu, swap], new Set(['numcpu']), log);
    expect(report.passed).toBe(true);
    expect(report.checks[0]).toMatchObject({ name: 'NumCPU', status: 'ignored', errors: ['the number of available CPUs 1 is less than the required 2'] });
    expect(log.lines).toContain('\t[WARNING NumCPU]: the number of available CPUs 1 is less than the required 2 (ignored)');
  });

  it("ignores every check's errors with 'all'", async () => {
    const report = await runPreflight(fakeHost(), [cpu], 'all', createMemoryLogger());
    expect(report.checks[0]!.status).toBe('ignored');
  });

  it('reports a check that throws as a failed check', async () => {
    const broken: Check = { name: 'CRI', run: () => Promise.reject(new Error('boom')) };
    const err = await failure(runPreflight(fakeHost(), [broken], new Set(), createMemoryLogger()));
    expect(err.details).toEqual(['[ERROR CRI]: the check could not run: boom']);
  });

  it('runs checks concurrently and still reports them in list order', async () => {
    // Each check waits until all three have started: run one after another, they would never finish.
    let started = 0;
    let allStarted: () => void;
    const together = new Promise<void>((resolve) => (allStarted = resolve));
    const slow: Check[] = [3, 1, 2].map((i) => ({
      name: `Slow-${i}`,
      run: async () => {
        if (++started === 3) allStarted();
        await together;
        await new Promise((r) => setTimeout(r, i * 10)); // finish out of list order
        return { errors: [], warnings: [`w${i}`] };
      },
    })).sort((a, b) => a.name.localeCompare(b.name));
    const log = createMemoryLogger();
    const report = await runPreflight(fakeHost(), slow, new Set(), log);
    expect(report.checks.map((c) => c.name)).toEqual(['Slow-1', 'Slow-2', 'Slow-3']);
    expect(log.lines.slice(1)).toEqual(['\t[WARNING Slow-1]: w1', '\t[WARNING Slow-2]: w2', '\t[WARNING Slow-3]: w3']);
  });

  it('prints the findings of a failed check so the cause is visible', async () => {
    const log = createMemoryLogger();
    const sysver = check('SystemVerification', { errors: ['missing required cgroups: memory'], warnings: [], info: ['CGROUPS_MEMORY: missing'] });
    await failure(runPreflight(fakeHost(), [sysver], new Set(), log));
    expect(log.lines).toContain('\t\tCGROUPS_MEMORY: missing');
  });
});

describe('runPreflight with checks sharing a name', () => {
  it('names each failed check once in the hint', async () => {
    const cert = (file: string) => check('ExternalEtcdClientCertificates', { errors: [`${file} doesn't exist`], warnings: [] }, 'create the file');
    const err = await failure(runPreflight(fakeHost(), [cert('/a'), cert('/b')], new Set(), createMemoryLogger()));
    expect(err.details).toEqual(["[ERROR ExternalEtcdClientCertificates]: /a doesn't exist", "[ERROR ExternalEtcdClientCertificates]: /b doesn't exist"]);
    expect(err.hint!.match(/ExternalEtcdClientCertificates: create the file/g)).toHaveLength(1);
    expect(err.hint).toContain('--ignore-preflight-errors=ExternalEtcdClientCertificates`');
  });
});
