import type { Command } from 'commander';

export function registerToken(program: Command): void {
  const token = program.command('token').description('Manage bootstrap tokens');
  token
    .command('generate')
    .description('Generate and print a bootstrap token, but do not create it on the server')
    .action(async () => {
      const { generateBootstrapToken } = await import('../token/index.js');
      process.stdout.write(`${generateBootstrapToken()}\n`);
    });
}
