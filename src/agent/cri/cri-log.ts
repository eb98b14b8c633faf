/**
 * The CRI container log format (`<RFC3339Nano> <stdout|stderr> <P|F> <text>`, one line each, P
 * for a partial line continued by the next) turned back into what `kubectl logs` prints, as the
 * kubelet's ReadLogs does: the text, partial lines joined, with `timestamps` the time before each entry, with
 * `since` only lines at or after it. Also finds the previous attempt's file for `--previous`.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';

export interface CriLogOptions {
  timestamps?: boolean;
  since?: Date;
}

const LINE = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/;

/** A writable that decodes CRI log bytes and writes the plain log to `out` (left open). */
export function criLogDecoder(out: Writable, options: CriLogOptions = {}): Writable {
  let rest = '';
  // A partial (P) entry is written as it comes, without a newline: the next entry continues the
  // line, and output that ends without a newline (containerd's last P entry) is not lost.
  const emit = (line: string) => {
    const m = LINE.exec(line);
    if (!m) return;
    const [, time, , tag, text] = m;
    if (options.since && new Date(time!) < options.since) return;
    out.write(`${options.timestamps ? `${time} ` : ''}${text}${tag === 'P' ? '' : '\n'}`);
  };
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const l of lines) emit(l);
      done();
    },
    final(done) {
      if (rest) emit(rest);
      done();
    },
  });
}

/** `…/<container>/<N>.log` → the newest `<M>.log` with M < N in the same directory, if any. */
export async function previousAttemptLog(current: string): Promise<string | undefined> {
  const dir = path.dirname(current);
  const n = Number(path.basename(current, '.log'));
  const attempts = (await readdir(dir).catch(() => [] as string[])).map((f) => /^(\d+)\.log$/.exec(f)?.[1]).filter((a): a is string => a !== undefined).map(Number);
  const before = attempts.filter((a) => a < n).sort((a, b) => b - a)[0];
  return before === undefined ? undefined : path.join(dir, `${before}.log`);
}
