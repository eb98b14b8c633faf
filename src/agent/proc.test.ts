import { describe, expect, it } from 'vitest';
import { parseProcStat } from './proc.js';

describe('process identity', () => {
  it('parses /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[19] = '123456';
    expect(parseProcStat(`42 (my (odd) name) ${fields.join(' ')}`)).toEqual({ state: 'S', startTicks: 123456 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});
