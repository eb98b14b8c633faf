/**
 * A table-driven command-line parser with pflag's syntax, for the bundled control-plane
 * components (kube-apiserver, kube-controller-manager, kube-scheduler). Each row
 * names a flag, its type (string, bool, int, duration, list), its default, and whether the
 * component uses it or only accepts it for compatibility with upstream manifests. Accepted:
 * `--name=value`, `--name value`, `--bool`, `--bool=false`, `-v=2`, `-v 2`. An unknown flag,
 * a bad value or a stray argument is a validation error naming it. Durations are Go's
 * (config/duration.ts), in milliseconds; TLS versions (`VersionTLS12`) read as Node's (`TLSv1.2`).
 */
// The leaf module, not config/index.js: the bundled components load nothing else of config.
import { tryParseGoDuration } from '../../config/duration.js';
import type { SecureVersion } from 'node:tls';
import { validationError } from '../../errors.js';

export type FlagType = 'string' | 'bool' | 'int' | 'duration' | 'list' | 'tls-version';
export type FlagValue = string | boolean | number | string[];

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default?: string;
  /** false: accepted for compatibility with upstream manifests, without effect here. */
  readonly used: boolean;
  /** A one-letter alias (`v` for `--v`). */
  readonly shorthand?: string;
}

export const flag = (name: string, type: FlagType = 'string', defaultValue?: string, shorthand?: string): FlagSpec => ({ name, type, default: defaultValue, used: true, shorthand });
export const acceptedFlag = (name: string, type: FlagType = 'string'): FlagSpec => ({ name, type, used: false });

/** Go's cliflag.TLSVersion names, as Node's `minVersion` names them. */
const TLS_VERSIONS: Record<string, string> = { VersionTLS10: 'TLSv1', VersionTLS11: 'TLSv1.1', VersionTLS12: 'TLSv1.2', VersionTLS13: 'TLSv1.3' };

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function convert(spec: FlagSpec, raw: string, component: string): FlagValue {
  const bad = (expected: string) =>
    validationError('KF_FLAG_INVALID', `${component}: invalid argument "${raw}" for "--${spec.name}" flag: expected ${expected}`, { hint: `run ${component} with a valid --${spec.name}` });
  switch (spec.type) {
    case 'bool':
      if (TRUE.has(raw)) return true;
      if (FALSE.has(raw)) return false;
      throw bad('true or false');
    case 'int':
      if (!/^[+-]?\d+$/.test(raw)) throw bad('an integer');
      return Number(raw);
    case 'duration': {
      const ms = tryParseGoDuration(raw);
      if (ms === undefined) throw bad('a duration such as 40s, 8760h or 1h30m');
      return ms;
    }
    case 'list':
      return raw === '' ? [] : raw.split(',').map((s) => s.trim());
    case 'tls-version':
      // '' is Go's default for servers, TLS 1.2.
      if (raw !== '' && !TLS_VERSIONS[raw]) throw bad(`one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
      return TLS_VERSIONS[raw] ?? 'TLSv1.2';
    default:
      return raw;
  }
}

export interface ParsedFlags {
  /** Flags given on the command line, by name. */
  readonly given: ReadonlySet<string>;
  /** Given flags this component accepts but does not act on. */
  readonly ignored: string[];
  string(name: string): string | undefined;
  bool(name: string): boolean;
  int(name: string): number;
  /** Milliseconds. */
  duration(name: string): number;
  list(name: string): string[];
  /** Node's name of the minimum TLS version (`TLSv1.2` when not given). */
  tlsVersion(name: string): SecureVersion;
}

/** Parses argv against the table; defaults fill what was not given. */
export function parseFlags(table: readonly FlagSpec[], argv: readonly string[], component: string): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  for (const spec of table) {
    byName.set(spec.name, spec);
    if (spec.shorthand) byName.set(spec.shorthand, spec);
  }
  const values = new Map<string, FlagValue>();
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^(--?)([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    if (!match || arg === '-' || arg === '--') {
      throw validationError('KF_FLAG_UNEXPECTED_ARGUMENT', `${component}: unexpected argument "${arg}"`, { hint: `${component} takes flags only` });
    }
    const [, dashes, name, inline] = match;
    const spec = byName.get(name!);
    if (!spec || (dashes === '-' && spec.shorthand !== name)) {
      throw validationError('KF_FLAG_UNKNOWN', `${component}: unknown flag: ${arg.split('=')[0]}`, { hint: `see the upstream ${component} flags; kubeforge accepts those kubeadm's manifests use` });
    }
    let raw = inline;
    if (raw === undefined) {
      if (spec.type === 'bool') raw = 'true';
      else if (i + 1 < argv.length) raw = argv[++i]!;
      else throw validationError('KF_FLAG_INVALID', `${component}: flag needs an argument: --${spec.name}`, { hint: `give --${spec.name}=VALUE` });
    }
    const value = convert(spec, raw, component);
    values.set(spec.name, spec.type === 'list' && values.has(spec.name) && given.has(spec.name) ? [...(values.get(spec.name) as string[]), ...(value as string[])] : value);
    given.add(spec.name);
  }
  for (const spec of table) if (!values.has(spec.name) && spec.default !== undefined) values.set(spec.name, convert(spec, spec.default, component));
  const typed = <T extends FlagValue>(name: string, type: FlagType, fallback: T): T => {
    const spec = byName.get(name);
    if (!spec || spec.type !== type) throw new Error(`flag --${name} is not a ${type} flag of ${component}`);
    return (values.get(name) as T | undefined) ?? fallback;
  };
  return {
    given,
    ignored: [...given].filter((n) => !byName.get(n)!.used),
    string: (name) => typed<string>(name, 'string', undefined as unknown as string),
    bool: (name) => typed(name, 'bool', false),
    int: (name) => typed(name, 'int', 0),
    duration: (name) => typed(name, 'duration', 0),
    list: (name) => typed<string[]>(name, 'list', []),
    tlsVersion: (name) => typed<string>(name, 'tls-version', 'TLSv1.2') as SecureVersion,
  };
}
