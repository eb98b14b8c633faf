/** `kubeforge check cis [-o json|yaml]`: exit 1 when a scored check FAILs. */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { resolveRoot } from '../host/paths.js';
import { globals } from './globals.js';
import { formatMachine, parseOutputFormat } from './output.js';

export function registerCheck(program: Command): void {
  const check = program.command('check').description('Check this node against a security benchmark');
  check
    .command('cis')
    .description('Check the node under --root against the CIS Kubernetes Benchmark v1.10 (sections 1 and 4, as kube-bench): PASS/FAIL/WARN per item with its evidence and fix; exit 1 on a FAIL')
    .option('-o, --output <format>', 'text, json or yaml', 'text')
    .action(async (opts: { output: string }, self: Command) => {
      const format = parseOutputFormat(opts.output);
      const { runCheckCis, formatBenchmarkText } = await import('../commands/check-cis.js');
      const report = await runCheckCis(resolveRoot(globals(self).root));
      process.stdout.write(format === 'text' ? formatBenchmarkText(report) : await formatMachine(report, format));
      if (report.totals.fail > 0) process.exitCode = ExitCode.General;
    });
}
