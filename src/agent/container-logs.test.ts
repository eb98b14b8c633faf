import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { streamContainerLog } from './container-logs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-container-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A client that takes `accept` bytes and then stops reading (its writes never complete). */
function stalledReader(accept: number): Writable & { received: number } {
  const out = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, done) {
      out.received += chunk.length;
      if (out.received <= accept) done();
    },
  }) as Writable & { received: number };
  out.received = 0;
  return out;
}

describe('streamContainerLog back-pressure', () => {
  it('stops reading the file while the client does not read, and finishes when the client goes away', async () => {
    const file = path.join(dir, '0.log');
    await writeFile(file, Buffer.alloc(32 * 1024 * 1024, 'x'));
    const out = stalledReader(256 * 1024);
    const streaming = streamContainerLog(file, out, { follow: true, pollMs: 20 });
    await new Promise((r) => setTimeout(r, 500));
    // Without back-pressure the whole 32 MiB would sit in the writable's buffer by now.
    expect(out.writableLength).toBeLessThan(1024 * 1024);
    expect(out.received).toBeLessThan(2 * 1024 * 1024);
    out.destroy();
    await streaming;
  });

  it('still copies everything to a client that reads', async () => {
    const file = path.join(dir, '1.log');
    await writeFile(file, 'one\ntwo\nthree\n');
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    await streamContainerLog(file, out, { tailLines: 2 });
    expect(text).toBe('two\nthree\n');
  });
});
