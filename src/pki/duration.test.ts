import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['8760h0m0s', 8760 * 3600_000],
    ['87600h0m0s', 87600 * 3600_000],
    ['48h', 48 * 3600_000],
    ['1h30m', 5400_000],
    ['1.5h', 5400_000],
    ['300ms', 300],
    ['2s500ms', 2500],
    ['0', 0],
    ['-1m', -60_000],
    ['1500us', 1.5],
  ])('parses %s', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '12', 'h', '1d', '1h 2m', '.h'])('rejects %j with KF_DURATION_INVALID', (text) => {
    expect(() => parseGoDuration(text)).toThrow(expect.objectContaining({ code: 'KF_DURATION_INVALID', exitCode: 3 }));
  });
});

