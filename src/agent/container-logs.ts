/**
 * Reading a container's log file for the agent's /containerLogs endpoint, as the kubelet reads
 * the CRI log files itself: the last `tailLines` lines (or all), then, with `follow`, every byte
 * appended until the reader goes away. A file that shrinks (truncated or replaced) is read again
 * from its start. Like the process runner, this touches the real file system directly: it
 * streams files the runtime owns.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export interface LogOptions {
  tailLines?: number;
  limitBytes?: number;
  follow?: boolean;
  /** How often a followed file is checked for new bytes (250 ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

/** Where the last `lines` lines of `text` start (the whole text when it has fewer). */
export function tailOffset(text: Buffer, lines: number): number {
  let end = text.length;
  if (end > 0 && text[end - 1] === 0x0a) end--;
  let found = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (text[i] === 0x0a && ++found === lines) return i + 1;
  }
  return 0;
}

/** The offset to start reading from for tailLines (reads at most the last 8 MiB to find it). */
async function startOffset(file: string, size: number, tailLines: number | undefined): Promise<number> {
  if (tailLines === undefined || tailLines < 0) return 0;
  if (tailLines === 0) return size;
  const window = Math.min(size, 8 * 1024 * 1024);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(window);
    await handle.read(buffer, 0, window, size - window);
    return size - window + tailOffset(buffer, tailLines);
  } finally {
    await handle.close();
  }
}

/**
 * Copies bytes [from, to) of the file to `out` at the pace `out` takes them (a reader that stops
 * reading stops the copy, so a slow client never makes the log pile up in memory); resolves when
 * done or when `out` goes away.
 */
function copyRange(file: string, from: number, to: number, out: Writable): Promise<void> {
  if (to <= from || out.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stream = createReadStream(file, { start: from, end: to - 1 });
    const gone = () => {
      stream.destroy();
      resolve();
    };
    out.once('close', gone);
    stream.pipe(out, { end: false });
    stream.on('end', () => {
      out.off('close', gone);
      resolve();
    });
    stream.on('error', (err) => {
      out.off('close', gone);
      reject(err);
    });
  });
}

/** Writes the log to `out` (which stays open); resolves when done or, with follow, when aborted. */
export async function streamContainerLog(file: string, out: Writable, options: LogOptions = {}): Promise<void> {
  let size = (await stat(file)).size;
  let offset = await startOffset(file, size, options.tailLines);
  let budget = options.limitBytes ?? Number.POSITIVE_INFINITY;
  const copy = async (to: number) => {
    const end = Math.min(to, offset + budget);
    await copyRange(file, offset, end, out);
    budget -= end - offset;
    offset = to;
  };
  await copy(size);
  while (options.follow && budget > 0 && !options.signal?.aborted && !out.destroyed) {
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
    size = (await stat(file).catch(() => ({ size: 0 }))).size;
    if (size < offset) offset = 0;
    await copy(size);
  }
}
