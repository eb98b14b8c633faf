import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { criLogDecoder, previousAttemptLog } from './cri-log.js';

async function decode(text: string, options: Parameters<typeof criLogDecoder>[1] = {}): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const decoder = criLogDecoder(out, options);
  // Split mid-line: the decoder must carry a partial chunk over.
  decoder.write(text.slice(0, 17));
  await new Promise<void>((resolve) => decoder.end(text.slice(17), resolve));
  return Buffer.concat(chunks).toString('utf8');
}

const LOG = [
  '2026-01-01T00:00:01.000000001Z stdout F serving',
  '2026-01-01T00:00:02.000000000Z stderr P part one, ',
  '2026-01-01T00:00:02.100000000Z stderr F part two',
  '2026-01-01T00:00:03.000000000Z stdout F ',
  '2026-01-01T00:00:04.000000000Z stdout P no newline at the end',
  '',
].join('\n');

describe('CRI log files read back as kubectl logs prints them', () => {
  it('prints the text, joining partial lines', async () => {
    expect(await decode(LOG)).toBe('serving\npart one, part two\n\nno newline at the end');
  });

  it('puts the timestamp first with timestamps', async () => {
    expect((await decode(LOG, { timestamps: true })).split('\n')[0]).toBe('2026-01-01T00:00:01.000000001Z serving');
  });

  it('drops lines before since', async () => {
    expect(await decode(LOG, { since: new Date('2026-01-01T00:00:02.500Z') })).toBe('\nno newline at the end');
  });

  it('finds the previous attempt of a container for --previous', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kf-log-'));
    try {
      for (const n of [0, 1, 3]) writeFileSync(path.join(dir, `${n}.log`), '');
      expect(await previousAttemptLog(path.join(dir, '3.log'))).toBe(path.join(dir, '1.log'));
      expect(await previousAttemptLog(path.join(dir, '0.log'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
