/**
 * Runs the checks and prints kubeadm's lines on stderr. Every check only reads (bind tests use
 * distinct ports and close at once), so all run concurrently; output keeps the list's order.
 */
import { ExitCode, KubeforgeError } from '../errors.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import type { Check, CheckReport, CheckResult, PreflightReport } from './types.js';

/** The KF_PREFLIGHT error, carrying the report so `-o json` can still print it. */
export class PreflightError extends KubeforgeError {
  constructor(
    readonly report: PreflightReport,
    details: string[],
    hint: string,
  ) {
    super('KF_PREFLIGHT', '[preflight] Some fatal errors occurred:', { details, hint, exitCode: ExitCode.Preflight });
  }
}

async function runOne(check: Check, host: Host): Promise<{ result: CheckResult; durationMs: number }> {
  const started = performance.now();
  let result: CheckResult;
  try {
    result = await check.run({ host });
  } catch (err) {
    // a check that breaks is a failed check, reported like any other
    result = { errors: [`the check could not run: ${(err as Error).message}`], warnings: [] };
  }
  return { result, durationMs: Math.round(performance.now() - started) };
}

function isIgnored(name: string, ignore: Set<string> | 'all'): boolean {
  if (ignore === 'all') return true;
  const lower = name.toLowerCase();
  return [...ignore].some((item) => item.toLowerCase() === lower);
}

function toReport(check: Check, result: CheckResult, durationMs: number, ignored: boolean): CheckReport {
  const status = result.errors.length > 0 ? (ignored ? 'ignored' : 'error') : result.warnings.length > 0 ? 'warning' : 'ok';
  return { name: check.name, status, errors: result.errors, warnings: result.warnings, info: result.info ?? [], durationMs };
}

function printCheck(log: Logger, report: CheckReport): void {
  for (const warning of report.warnings) log.info(`\t[WARNING ${report.name}]: ${warning}`);
  if (report.status === 'ignored') for (const error of report.errors) log.info(`\t[WARNING ${report.name}]: ${error} (ignored)`);
  const failed = report.status === 'error' || report.status === 'ignored';
  for (const line of report.info) {
    if (failed) log.info(`\t\t${line}`);
    else log.debug(1, `\t[INFO ${report.name}]: ${line}`);
  }
}

export async function runPreflight(host: Host, checks: Check[], ignore: Set<string> | 'all', log: Logger): Promise<PreflightReport> {
  log.info('[preflight] Running pre-flight checks');
  const outcomes = await Promise.all(checks.map((check) => runOne(check, host)));
  const reports = checks.map((check, i) => toReport(check, outcomes[i]!.result, outcomes[i]!.durationMs, isIgnored(check.name, ignore)));
  reports.forEach((report) => printCheck(log, report));
  const report: PreflightReport = { kind: 'PreflightReport', passed: reports.every((r) => r.status !== 'error'), checks: reports };
  if (report.passed) return report;

  const failed = checks.filter((_, i) => reports[i]!.status === 'error');
  const details = reports.filter((r) => r.status === 'error').flatMap((r) => r.errors.map((e) => `[ERROR ${r.name}]: ${e}`));
  const fixes = [...new Map(failed.filter((c) => c.fix).map((c) => [c.name, `${c.name}: ${c.fix}`])).values()];
  const names = [...new Set(failed.map((c) => c.name))].join(',');
  const hint = [
    ...fixes,
    `If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=${names}\``,
    'To see the stack trace of this error execute with --v=5 or higher',
  ].join('\n');
  throw new PreflightError(report, details, hint);
}
