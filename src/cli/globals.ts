/** The global flags every command shares (`--root`, `-v`). Kept apart from main.ts, which imports the commands. */
import type { Command } from 'commander';

export interface GlobalOptions {
  root?: string;
  v: number;
}

/** The global options of whichever command is running. */
export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** A repeatable comma-separated flag (`--ignore-preflight-errors a,b --ignore-preflight-errors c`). */
export const commaList = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
