/** Temp roots for the nodes of an e2e file's cluster (built CLI), made in order and removed together. */
import { tempRoot } from './cli.js';

/** Temp roots made in order; `cleanupAll` removes them all (a root left unreset is reset first). */
export function testRoots() {
  const roots: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  return {
    roots,
    async newRoot(prefix: string): Promise<string> {
      const { dir, cleanup } = await tempRoot(prefix);
      roots.push(dir);
      cleanups.push(cleanup);
      return dir;
    },
    async cleanupAll(): Promise<void> {
      for (const cleanup of cleanups) await cleanup();
    },
  };
}
