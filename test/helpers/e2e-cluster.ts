/** Temp roots for the nodes of an e2e file's cluster (built CLI), made in order and removed together. */
import os from 'node:os';
import { tempRoot } from './cli.js';

/**
 * This machine's own non-loopback address: reachable from pods, and no DNS server listens there.
 * A node resolvConf naming it keeps CoreDNS's forwarded queries (its loop probe) on this machine.
 */
export function machineAddress(): string {
  const found = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.'));
  if (!found) throw new Error('no non-loopback IPv4 address on this machine');
  return found.address;
}

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
