/**
 * The CLI: commander wiring only. Each command's module is imported lazily, and only the
 * command being run is fully registered, so `kubeforge version` starts fast.
 */
import { statSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ExitCode, isKubeforgeError } from '../errors.js';
import type { GlobalOptions } from './globals.js';
import { dropIpServernameWarning } from './warnings.js';

interface CommandEntry {
  name: string;
  summary: string;
  register: () => Promise<(program: Command) => void>;
}

const commands: CommandEntry[] = [
  { name: 'init', summary: 'Run this command in order to set up the Kubernetes control plane', register: async () => (await import('./init.js')).registerInit },
  { name: 'join', summary: 'Run this on any machine you wish to join an existing cluster', register: async () => (await import('./join.js')).registerJoin },
  { name: 'reset', summary: 'Performs a best effort revert of changes made to this host by "kubeforge init" or "kubeforge join"', register: async () => (await import('./reset.js')).registerReset },
  { name: 'certs', summary: 'Commands related to handling kubernetes certificates', register: async () => (await import('./certs.js')).registerCerts },
  { name: 'check', summary: 'Check this node against the CIS Kubernetes Benchmark', register: async () => (await import('./check.js')).registerCheck },
  { name: 'kubeconfig', summary: 'Kubeconfig file utilities', register: async () => (await import('./kubeconfig.js')).registerKubeconfig },
  { name: 'config', summary: 'Manage configuration for a kubeforge cluster', register: async () => (await import('./config.js')).registerConfig },
  { name: 'images', summary: "Manage the images of this node's container runtime", register: async () => (await import('./images.js')).registerImages },
  { name: 'token', summary: 'Manage bootstrap tokens', register: async () => (await import('./token.js')).registerToken },
  { name: 'etcd', summary: "Inspect and back up this control-plane node's stacked etcd", register: async () => (await import('./etcd.js')).registerEtcd },
  { name: 'agent', summary: "Run the node agent (kubeforge's kubelet)", register: async () => (await import('./agent.js')).registerAgent },
  { name: 'component', summary: 'Run a bundled control-plane component (used by static-pod manifests)', register: async () => (await import('./component.js')).registerComponent },
  { name: 'version', summary: 'Print the version of kubeforge', register: async () => (await import('./version.js')).registerVersion },
];

function parseVerbosity(value: string): number {
  const level = Number(value);
  if (!Number.isInteger(level) || level < 0) throw new InvalidArgumentError('use a whole number 0-10');
  return level;
}

/** `--root` may not exist yet (init creates it), but a file there (or above it) can never hold a node. */
function parseRoot(value: string): string {
  const refuse = (why: string) => new InvalidArgumentError(`${value} is not a writable directory (${why}): give the directory that holds, or will hold, the node's files`);
  let stat;
  try {
    stat = statSync(value, { throwIfNoEntry: false });
  } catch (err) {
    throw refuse((err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a part of its path is a file' : (err as Error).message);
  }
  if (stat && !stat.isDirectory()) throw refuse('it is a file');
  return value;
}

function firstCommand(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--root' || arg === '-v' || arg === '--v') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

function reportError(err: unknown, verbosity: number): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    // A flag value commander could not parse is a validation error, as kubeadm's invalid values are.
    return err.code === 'commander.invalidArgument' ? ExitCode.Validation : err.exitCode || 1;
  }
  if (isKubeforgeError(err)) {
    const lines = [`error: ${err.message}`, ...err.details.map((d) => `\t${d}`)];
    if (err.hint) lines.push(`hint: ${err.hint}`);
    lines.push(verbosity >= 5 ? `${err.code}\n${err.stack ?? ''}` : `(${err.code}; run with --v=5 or higher for the stack trace)`);
    process.stderr.write(`${lines.join('\n')}\n`);
    return err.exitCode;
  }
  process.stderr.write(`error: ${err instanceof Error ? (verbosity >= 5 ? err.stack : err.message) : String(err)}\n`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  dropIpServernameWarning();
  const wanted = firstCommand(argv);
  const program = new Command('kubeforge').description('kubeforge: easily bootstrap a secure Kubernetes cluster').showHelpAfterError().exitOverride();
  // A component's flags are its upstream flags verbatim (`--v=2` included), so kubeforge's own
  // global flags are not parsed around it.
  if (wanted !== 'component') {
    program
      .option('--root <dir>', 'relocate every path under DIR (default: $KUBEFORGE_ROOT or /)', parseRoot)
      .option('-v, --v <level>', 'number for the log level verbosity', parseVerbosity, 0);
  }
  for (const entry of commands) {
    if (entry.name === wanted || wanted === 'help') (await entry.register())(program);
    else program.command(entry.name).description(entry.summary);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, program.opts<GlobalOptions>().v ?? 0);
  }
}

process.exitCode = await main(process.argv.slice(2));
