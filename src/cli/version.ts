import type { Command } from 'commander';
import { formatVersionText, versionInfo } from '../commands/version.js';
import { formatMachine, parseOutputFormat } from './output.js';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('Print the version of kubeforge')
    .option('-o, --output <format>', "output format; available options are 'yaml', 'json' and 'short'")
    .action(async (opts: { output?: string }) => {
      const info = versionInfo();
      if (opts.output === 'short') return void process.stdout.write(`${info.gitVersion}\n`);
      const format = parseOutputFormat(opts.output);
      process.stdout.write(format === 'text' ? formatVersionText(info) : await formatMachine({ clientVersion: info }, format));
    });
}
