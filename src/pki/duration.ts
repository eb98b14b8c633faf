/**
 * Go's time.ParseDuration, for the duration strings kubeadm's config carries
 * (`certificateValidityPeriod: 8760h0m0s`, `ttl: 24h0m0s`, `48h`, `1.5h`, `300ms`).
 */
import { validationError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const COMPONENT = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/** Parses a Go duration string into milliseconds (may be fractional for ns/us); throws KF_DURATION_INVALID. */
export function parseGoDuration(text: string): number {
  const invalid = () =>
    validationError('KF_DURATION_INVALID', `invalid duration ${JSON.stringify(text)}`, {
      hint: 'use a Go duration such as 8760h0m0s, 24h, 90m or 1h30m (units: ns, us, ms, s, m, h)',
    });
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest.length > 0) {
    const match = COMPONENT.exec(rest);
    if (!match) throw invalid();
    const [whole, intPart = '', fracPart, unit = ''] = match;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) throw invalid();
    const perUnit = UNIT_MS[unit];
    if (perUnit === undefined) throw invalid();
    total += Number(`${intPart || '0'}.${fracPart ?? ''}0`) * perUnit;
    rest = rest.slice(whole.length);
  }
  return sign * total;
}
