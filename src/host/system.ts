/**
 * Facts about the machine, for pre-flight checks and node registration. Paths here are real
 * system paths (/proc, /sys), never mapped under --root.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';

export interface SystemProbe {
  hostname(): string;
  cpuCount(): number;
  /** Total memory in bytes. */
  memoryBytes(): Promise<number>;
  /** Reads a real system file such as /proc/swaps; undefined when absent. */
  readSystemFile(path: string): Promise<string | undefined>;
  /** True when nothing listens on host:port (we can bind it). */
  isPortFree(host: string, port: number): Promise<boolean>;
  /** The absolute path of a binary on PATH, or undefined. */
  which(binary: string): Promise<string | undefined>;
  /** The effective user id (0 for root). */
  uid(): number;
}

export class RealSystem implements SystemProbe {
  hostname(): string {
    return os.hostname();
  }

  cpuCount(): number {
    return os.availableParallelism();
  }

  async memoryBytes(): Promise<number> {
    const si = await import('systeminformation');
    return (await si.mem()).total;
  }

  async readSystemFile(path: string): Promise<string | undefined> {
    try {
      return await fs.readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  isPortFree(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
    });
  }

  async which(binary: string): Promise<string | undefined> {
    for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
      const candidate = `${dir}/${binary}`;
      try {
        await fs.access(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
    return undefined;
  }

  uid(): number {
    return process.getuid?.() ?? 0;
  }
}
