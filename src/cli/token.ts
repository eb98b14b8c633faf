import type { Command } from 'commander';
import type { TokenCreateOptions } from '../commands/token.js';
import { resolveRoot } from '../host/index.js';
import { BOOTSTRAP_GROUP_PATTERN, BOOTSTRAP_TOKEN_ID_PATTERN } from '../token/index.js';
import { globals } from './globals.js';
import { formatTable, parseOutputFormat } from './output.js';

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
const KUBECONFIG_HELP = 'the kubeconfig file to use when talking to the cluster, taken as given (default: /etc/kubernetes/admin.conf under --root)';

interface TokenCliOptions {
  kubeconfig?: string;
}

function common(self: Command, opts: TokenCliOptions) {
  const g = globals(self);
  return { root: resolveRoot(g.root), verbosity: g.v, ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}) };
}

type CreateCliOptions = TokenCliOptions &
  Pick<TokenCreateOptions, 'ttl' | 'description' | 'printJoinCommand' | 'certificateKey'> & { usages?: string[]; groups?: string[] };

export function registerToken(program: Command): void {
  const token = program.command('token').description('Manage bootstrap tokens');
  token
    .command('generate')
    .description('Generate and print a bootstrap token, but do not create it on the server')
    .action(async () => {
      const { generateBootstrapToken } = await import('../token/index.js');
      process.stdout.write(`${generateBootstrapToken()}\n`);
    });
  token
    .command('create [token]')
    .description('Create bootstrap tokens on the server')
    .option('--kubeconfig <file>', KUBECONFIG_HELP)
    .option('--ttl <duration>', 'the duration before the token is automatically deleted (e.g. 1s, 2m, 3h); 0 means never expires', '24h0m0s')
    .option('--usages <usages>', 'describes the ways in which this token can be used (signing, authentication)', list)
    .option('--groups <groups>', `extra groups that this token will authenticate as when used for authentication; must match "\\A${BOOTSTRAP_GROUP_PATTERN.source.slice(1, -1)}\\z"`, list)
    .option('--description <text>', 'a human friendly description of how this token is used')
    .option('--print-join-command', 'instead of printing only the token, print the full `kubeforge join` command using the token', false)
    .option('--certificate-key <key>', 'when used together with --print-join-command, print the full join command for a control-plane node')
    .action(async (value: string | undefined, opts: CreateCliOptions, self: Command) => {
      const [{ runTokenCreate }, { DEFAULT_NODE_TOKEN_GROUP }] = await Promise.all([import('../commands/token.js'), import('../bootstrap/index.js')]);
      const result = await runTokenCreate({
        ...common(self, opts),
        ...(value !== undefined ? { token: value } : {}),
        ttl: opts.ttl,
        usages: opts.usages ?? ['signing', 'authentication'],
        groups: opts.groups ?? [DEFAULT_NODE_TOKEN_GROUP],
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        printJoinCommand: opts.printJoinCommand,
        ...(opts.certificateKey !== undefined ? { certificateKey: opts.certificateKey } : {}),
      });
      process.stdout.write(`${result.joinCommand ?? result.token}\n`);
    });
  token
    .command('list')
    .description('List bootstrap tokens on the server')
    .option('--kubeconfig <file>', KUBECONFIG_HELP)
    .option('-o, --output <format>', 'output format: text|json|yaml', 'text')
    .action(async (opts: TokenCliOptions & { output: string }, self: Command) => {
      const format = parseOutputFormat(opts.output);
      const [{ runTokenList }, { TOKEN_COLUMNS, tokenRow }] = await Promise.all([import('../commands/token.js'), import('../commands/token-view.js')]);
      const result = await runTokenList(common(self, opts));
      for (const reason of result.invalid) process.stderr.write(`[token] skipping an invalid bootstrap token Secret: ${reason}\n`);
      if (format === 'text') {
        const now = new Date();
        process.stdout.write(formatTable(TOKEN_COLUMNS, result.tokens.map((t) => tokenRow(t, now))));
      } else if (format === 'json') {
        // kubeadm's printer writes one object per token
        process.stdout.write(result.tokens.map((t) => `${JSON.stringify(t, null, 4)}\n`).join(''));
      } else {
        const yaml = await import('js-yaml');
        process.stdout.write(result.tokens.map((t) => yaml.dump(t, { lineWidth: -1 })).join('---\n'));
      }
    });
  token
    .command('delete <token...>')
    .description(`Delete bootstrap tokens on the server (by token id "${BOOTSTRAP_TOKEN_ID_PATTERN}" or whole token)`)
    .option('--kubeconfig <file>', KUBECONFIG_HELP)
    .action(async (tokens: string[], opts: TokenCliOptions, self: Command) => {
      const { runTokenDelete } = await import('../commands/token.js');
      const deleted = await runTokenDelete({ ...common(self, opts), tokens });
      for (const id of deleted) process.stdout.write(`bootstrap token "${id}" deleted\n`);
    });
}
