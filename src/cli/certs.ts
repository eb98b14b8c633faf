/** `kubeforge certs …`: flags and printing only; the work is in src/commands/certs-*.ts (imported lazily). */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { resolveRoot } from '../host/paths.js';
import { globals } from './globals.js';
import { formatMachine, parseOutputFormat } from './output.js';

const CERT_DIR = '/etc/kubernetes/pki';

function registerCheckExpiration(certs: Command): void {
  certs
    .command('check-expiration')
    .description('Check certificates expiration for a Kubernetes cluster')
    .option('--cert-dir <dir>', 'the path where to save the certificates', CERT_DIR)
    .option('-o, --output <format>', "output format: one of text|table, json, yaml", 'text')
    .option('--warn-within <duration>', 'exit 4 when a certificate or CA expires within this time (e.g. 30d, 720h)')
    .action(async (opts: { certDir: string; output: string; warnWithin?: string }, self: Command) => {
      const format = parseOutputFormat(opts.output);
      const { runCheckExpiration, formatExpirationText } = await import('../commands/certs-check-expiration.js');
      const result = await runCheckExpiration({ root: resolveRoot(globals(self).root), certDir: opts.certDir, warnWithin: opts.warnWithin });
      process.stdout.write(format === 'text' ? formatExpirationText(result.info) : await formatMachine(result.info, format));
      if (result.expiringSoon.length > 0) {
        process.stderr.write(`[check-expiration] WARNING: expiring within ${opts.warnWithin}: ${result.expiringSoon.join(', ')}\n`);
        process.exitCode = ExitCode.ExpiryWarning;
      }
    });
}

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('Commands related to handling kubernetes certificates');
  registerCheckExpiration(certs);
}
