/** The global flags every command shares (`--root`, `-v`). Kept apart from main.ts, which imports the commands. */
import { InvalidArgumentError, type Command } from 'commander';

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

/**
 * A path flag kubeadm's validation wants absolute (`certificatesDir` and the like). Under `--root`
 * a relative path would silently point outside the root, so it is refused (exit 3).
 */
export function absolutePath(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError(`"${value}" is not an absolute path; give the full path (it is relocated under --root), e.g. /etc/kubernetes/pki`);
  return value;
}
