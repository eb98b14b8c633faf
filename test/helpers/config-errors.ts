/** Test helpers for src/config (not exported from index.ts). */
import { isKubeforgeError, type KubeforgeError } from '../../src/errors.js';

/** Runs `fn` and returns the KubeforgeError it throws; fails when it throws nothing. */
export function thrownBy(fn: () => unknown): KubeforgeError {
  try {
    fn();
  } catch (err) {
    if (isKubeforgeError(err)) return err;
    throw err;
  }
  throw new Error('expected a KubeforgeError, but nothing was thrown');
}

/** Joins YAML documents written as arrays of lines. */
export function yamlDocs(...docs: string[][]): string {
  return docs.map((lines) => `${lines.join('\n')}\n`).join('---\n');
}
