/** `kubeforge kubeconfig user`: flags and printing; the work is in src/commands/kubeconfig-user.ts. */
import type { Command } from 'commander';
import { resolveRoot } from '../host/paths.js';
import { absolutePath, globals } from './globals.js';

const repeat = (value: string, previous: string[] = []) => [...previous, value];

export function registerKubeconfig(program: Command): void {
  const kubeconfig = program.command('kubeconfig').description('Kubeconfig file utilities');
  kubeconfig
    .command('user')
    .description('Output a kubeconfig file for an additional user, signed by the cluster CA')
    .requiredOption('--client-name <name>', 'the name of the user; used as the CN of the client certificate')
    .option('--org <organization>', 'the organizations of the client certificate (repeatable)', repeat)
    .option('--validity-period <duration>', 'the validity period of the client certificate, offset from the current time', '8760h')
    .option('--config <file>', 'path to a kubeadm configuration file (for the API server address)')
    .option('--cert-dir <dir>', 'the path where the CA certificate and key are stored', absolutePath)
    .action(async (opts: { clientName: string; org?: string[]; validityPeriod: string; config?: string; certDir?: string }, self: Command) => {
      const { runKubeconfigUser } = await import('../commands/kubeconfig-user.js');
      process.stdout.write(
        await runKubeconfigUser({
          root: resolveRoot(globals(self).root),
          clientName: opts.clientName,
          organizations: opts.org ?? [],
          validityPeriod: opts.validityPeriod,
          ...(opts.config ? { configPath: opts.config } : {}),
          ...(opts.certDir ? { certDir: opts.certDir } : {}),
        }),
      );
    });
}
