import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost } from '../host/index.js';
import { createMemoryLogger } from '../log.js';
import { API_SOCKET, ApiSocket } from './api-socket.js';

// This file's loopback address: .168 (a stand-in for the API server: it echoes).
const UPSTREAM = '127.0.0.168';

let root: string;
let upstream: net.Server;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kf-apisock-'));
  upstream = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => upstream.listen(0, UPSTREAM, () => r()));
});

afterAll(async () => {
  await new Promise<void>((r) => upstream.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

async function roundTrip(file: string, text: string): Promise<string> {
  const socket = net.connect({ path: file, allowHalfOpen: true });
  socket.end(text);
  let out = '';
  try {
    for await (const chunk of socket) out += String(chunk);
  } catch {
    // closed by the far end before our write went out: nothing came back
  }
  return out;
}

describe('the agent\'s API socket', () => {
  it('carries bytes both ways to the API server the agent uses, and takes over a stale socket file', async () => {
    const host = createHost(root);
    const server = `https://${UPSTREAM}:${(upstream.address() as net.AddressInfo).port}`;
    for (let agent = 0; agent < 2; agent++) {
      // The second agent finds the first one's socket file left behind (a crash) and listens anyway.
      const socket = new ApiSocket({ host, log: createMemoryLogger(), server: () => server });
      await socket.init();
      await socket.start();
      expect(await roundTrip(host.files.resolve(API_SOCKET), `hello ${agent}`)).toBe(`hello ${agent}`);
      if (agent === 1) await socket.stop();
    }
  });

  it('closes a connection at once while the API server address is not known yet', async () => {
    const host = createHost(path.join(root, 'early'));
    const socket = new ApiSocket({ host, log: createMemoryLogger(), server: () => undefined });
    await socket.init();
    await socket.start();
    expect(await roundTrip(host.files.resolve(API_SOCKET), 'anyone?')).toBe('');
    await socket.stop();
  });
});
