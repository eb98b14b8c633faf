import type { Command } from 'commander';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Manage configuration for a kubeforge cluster');
  const print = config.command('print').description('Print configuration');
  print
    .command('init-defaults')
    .description('Print default init configuration, that can be used for "kubeforge init"')
    .action(async () => {
      const { printInitDefaults } = await import('../config/index.js');
      process.stdout.write(printInitDefaults());
    });
  print
    .command('join-defaults')
    .description('Print default join configuration, that can be used for "kubeforge join"')
    .action(async () => {
      const { printJoinDefaults } = await import('../config/index.js');
      process.stdout.write(printJoinDefaults());
    });
}
