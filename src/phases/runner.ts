/**
 * kubeadm's workflow runner: a command is a tree of named phases. The same tree drives the run
 * order, `--skip-phases`, `<command> phase <name> [sub]`, the help text and the progress output
 * (each top-level phase reports its duration on stderr).
 */
import { validationError } from '../errors.js';
import { formatDuration, type Logger } from '../log.js';

export interface Phase<C> {
  /** kubeadm's phase name, e.g. `certs`, `apiserver`, `upload-config`. */
  name: string;
  /** One line for help output. */
  short: string;
  /** Longer help for `phase <name> --help`. */
  long?: string;
  run?: (ctx: C) => Promise<void>;
  children?: Phase<C>[];
  /** Offers an `all` sub-phase that runs every child (kubeadm's RunAllSiblings). */
  runAllSiblings?: boolean;
  /**
   * Runs the selected children as one batch (e.g. certificates generated in parallel) when the
   * whole group runs; each child's own `run` still serves `phase <parent> <child>`.
   */
  runChildren?: (ctx: C, names: string[]) => Promise<void>;
}

/** A phase with its slash path from the root, e.g. `certs/apiserver`. */
export interface PhasePath<C> {
  path: string;
  depth: number;
  phase: Phase<C>;
}

/** Every phase in run order, depth first, with its path. */
export function flattenPhases<C>(tree: Phase<C>[], prefix = '', depth = 0): PhasePath<C>[] {
  return tree.flatMap((phase) => {
    const path = prefix ? `${prefix}/${phase.name}` : phase.name;
    return [{ path, depth, phase }, ...flattenPhases(phase.children ?? [], path, depth + 1)];
  });
}

/** Checks `--skip-phases` names against the tree; `certs` skips all of certs, `certs/ca` one. */
export function parseSkipPhases<C>(tree: Phase<C>[], names: string[]): Set<string> {
  const known = new Set(flattenPhases(tree).map((p) => p.path));
  const skip = new Set<string>();
  for (const raw of names.flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean)) {
    if (!known.has(raw)) {
      throw validationError('KF_UNKNOWN_PHASE', `unknown phase "${raw}" in --skip-phases`, {
        hint: `known phases: ${[...known].join(', ')}`,
      });
    }
    skip.add(raw);
  }
  return skip;
}

/** Finds the phase at a path such as `certs/apiserver`; `certs/all` means all of certs. */
export function findPhase<C>(tree: Phase<C>[], path: string): Phase<C> | undefined {
  const [head, ...rest] = path.split('/');
  const phase = tree.find((p) => p.name === head);
  if (!phase || rest.length === 0) return phase;
  if (rest.length === 1 && rest[0] === 'all' && phase.runAllSiblings) return phase;
  return findPhase(phase.children ?? [], rest.join('/'));
}

export interface RunOptions {
  skip?: Set<string>;
  log: Logger;
  /** Only phases at this depth report their duration (top level by default). */
  timingDepth?: number;
}

/** Runs phases in order, skipping the skipped ones and their children. */
export async function runPhases<C>(tree: Phase<C>[], ctx: C, options: RunOptions, prefix = '', depth = 0): Promise<void> {
  for (const phase of tree) {
    const path = prefix ? `${prefix}/${phase.name}` : phase.name;
    if (options.skip?.has(path)) {
      options.log.debug(1, `[${phase.name}] Skipping phase (--skip-phases)`);
      continue;
    }
    const started = performance.now();
    if (phase.run) await phase.run(ctx);
    if (phase.children && phase.runChildren) {
      const selected = phase.children.filter((child) => !options.skip?.has(`${path}/${child.name}`));
      await phase.runChildren(ctx, selected.map((child) => child.name));
    } else if (phase.children) {
      await runPhases(phase.children, ctx, options, path, depth + 1);
    }
    if (depth === (options.timingDepth ?? 0)) {
      options.log.info(`[${phase.name}] completed in ${formatDuration(performance.now() - started)}`);
    }
  }
}

/** kubeadm's help listing: `The "init" command executes the following phases:` and the tree. */
export function describePhases<C>(command: string, tree: Phase<C>[]): string {
  const rows = flattenPhases(tree).flatMap(({ depth, phase }) => {
    const name = depth === 0 ? phase.name : `${'  '.repeat(depth)}/${phase.name}`;
    return [[name, phase.short] as const];
  });
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return [`The "${command}" command executes the following phases:`, '```', ...rows.map(([n, s]) => `${n.padEnd(width)}${s}`), '```'].join('\n');
}
