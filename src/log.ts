/**
 * Progress and log output. Everything here goes to stderr; results go to stdout through
 * the command's printer. Verbosity follows kubeadm's `-v N`; colour is off with NO_COLOR
 * or when stderr is not a terminal.
 */

export interface Logger {
  /** A progress line, always shown: `[certs] Generating "ca" certificate and key`. */
  info(message: string): void;
  warn(message: string): void;
  /** Detail shown at `-v level` or higher. */
  debug(level: number, message: string): void;
  readonly verbosity: number;
}

export interface LoggerOptions {
  verbosity?: number;
  write?: (text: string) => void;
  color?: boolean;
}

const YELLOW = '\u001b[33m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

export function colorEnabled(stream: { isTTY?: boolean } = process.stderr): boolean {
  return !process.env.NO_COLOR && Boolean(stream.isTTY);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const verbosity = options.verbosity ?? 0;
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const color = options.color ?? colorEnabled();
  const paint = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  return {
    verbosity,
    info: (message) => write(`${message}\n`),
    warn: (message) => write(`${paint(YELLOW, `[WARNING] ${message}`)}\n`),
    debug: (level, message) => {
      if (verbosity >= level) write(`${paint(DIM, message)}\n`);
    },
  };
}

/** A logger that keeps its lines, for tests. */
export function createMemoryLogger(verbosity = 0): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ verbosity, color: false, write: (text) => lines.push(text.replace(/\n$/, '')) });
  return Object.assign(logger, { lines });
}

/** Formats a duration for progress output: `412ms`, `3.2s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
