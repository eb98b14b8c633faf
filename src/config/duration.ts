/**
 * Go `time.Duration` text, as kubeadm writes it (`24h0m0s`, `5m0s`, `500ms`). Depends only on the
 * error types, so any module can use it. Values are milliseconds (fractions allowed for sub-millisecond units);
 * the arithmetic runs on BigInt nanoseconds, like Go's int64, so long CA validities stay exact.
 */
import { validationError } from '../errors.js';

const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Parses a Go duration into nanoseconds, or returns undefined when Go's time.ParseDuration would fail. */
export function parseGoDurationNs(text: string): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const match = COMPONENT.exec(rest);
    if (!match) return undefined;
    const [whole, intPart = '', fracPart = '', unit = ''] = match;
    if (intPart === '' && fracPart === '') return undefined;
    const scale = NS_PER[unit] as bigint;
    let value = BigInt(intPart === '' ? '0' : intPart) * scale;
    if (fracPart !== '') {
      const denominator = 10n ** BigInt(fracPart.length);
      value += (BigInt(fracPart) * scale) / denominator;
    }
    total += value;
    if (total > MAX_NS) return undefined;
    rest = rest.slice(whole.length);
  }
  return negative ? -total : total;
}

export function isGoDuration(text: string): boolean {
  return parseGoDurationNs(text) !== undefined;
}

/** A Go duration in milliseconds, or undefined when Go's time.ParseDuration would fail. */
export function tryParseGoDuration(text: string): number | undefined {
  const ns = parseGoDurationNs(text);
  return ns === undefined ? undefined : Number(ns) / 1e6;
}

/** `24h0m0s` → 86400000, `1m30s` → 90000, `500ms` → 500; text Go would reject is a validation error. */
export function parseGoDuration(text: string): number {
  const ms = tryParseGoDuration(text);
  if (ms === undefined) {
    throw validationError('KF_DURATION_INVALID', `time: invalid duration "${text}"`, {
      hint: 'use a Go duration such as 8760h0m0s, 24h, 90m or 1h30m (units: ns, us, ms, s, m, h)',
    });
  }
  return ms;
}

/** Formats nanoseconds exactly as Go's time.Duration.String(). */
export function formatGoDurationNs(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  if (abs < NS_PER.s!) {
    const [unit, scale] = abs < NS_PER.us! ? ['ns', 1n] : abs < NS_PER.ms! ? ['µs', NS_PER.us!] : ['ms', NS_PER.ms!];
    return `${sign}${fraction(abs, scale)}${unit}`;
  }
  const hours = abs / NS_PER.h!;
  const minutes = (abs % NS_PER.h!) / NS_PER.m!;
  const seconds = fraction(abs % NS_PER.m!, NS_PER.s!);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `ms` may be fractional (sub-millisecond parts are kept to the nanosecond). */
export function formatGoDuration(ms: number): string {
  return formatGoDurationNs(BigInt(Math.round(ms * 1e6)));
}

/** `value / scale` as a decimal without trailing zeros (Go's fmtFrac). */
function fraction(value: bigint, scale: bigint): string {
  const whole = value / scale;
  const rem = value % scale;
  if (rem === 0n) return whole.toString();
  const digits = scale.toString().length - 1;
  const frac = rem.toString().padStart(digits, '0').replace(/0+$/, '');
  return `${whole}.${frac}`;
}

/** Go's duration.ShortHumanDuration (k8s.io/apimachinery; kubectl's AGE, kubeadm's TTL and RESIDUAL TIME), of whole seconds. */
export function shortHumanDuration(seconds: number): string {
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(seconds / 3600);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}
