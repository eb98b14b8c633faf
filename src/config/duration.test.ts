import { describe, expect, it } from 'vitest';
import { formatGoDuration, isGoDuration, parseGoDuration, tryParseGoDuration } from './duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['24h0m0s', 86_400_000],
    ['48h', 172_800_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['-2s', -2000],
    ['87600h0m0s', 315_360_000_000],
    ['1h2m3s4ms', 3_723_004],
  ])('parses %s as Go does', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it('keeps sub-millisecond units as fractions', () => {
    expect(parseGoDuration('1500us')).toBe(1.5);
    expect(parseGoDuration('250ns')).toBeCloseTo(0.00025);
  });

  it.each(['', '24', 'h', '1d', '.s', '--1s', 'abc', '1h 2m'])('rejects %j like time.ParseDuration', (text) => {
    expect(isGoDuration(text)).toBe(false);
    expect(() => parseGoDuration(text)).toThrow(expect.objectContaining({ code: 'KF_DURATION_INVALID', exitCode: 3, message: expect.stringMatching(/invalid duration/) }));
  });
});

describe('tryParseGoDuration', () => {
  it('returns milliseconds, or undefined where parseGoDuration throws', () => {
    expect(['8760h', '40s', '2m0s', '0'].map(tryParseGoDuration)).toEqual([31_536_000_000, 40_000, 120_000, 0]);
    expect(['40', '3d', ''].map(tryParseGoDuration)).toEqual([undefined, undefined, undefined]);
  });
});

describe('formatGoDuration', () => {
  it.each([
    [86_400_000, '24h0m0s'],
    [90_000, '1m30s'],
    [500, '500ms'],
    [1000, '1s'],
    [0, '0s'],
    [1500, '1.5s'],
    [315_360_000_000, '87600h0m0s'],
    [300_000, '5m0s'],
    [0.0015, '1.5µs'],
    [-60_000, '-1m0s'],
  ])('formats %d ms as %s (time.Duration.String)', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('round-trips through parseGoDuration', () => {
    for (const text of ['24h0m0s', '4m0s', '1h0m0.5s', '750ms']) expect(formatGoDuration(parseGoDuration(text))).toBe(text);
  });
});
