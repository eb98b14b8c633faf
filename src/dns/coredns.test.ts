import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../log.js';
import { parseCoreDNSFlags, runCoreDNS } from './coredns.js';

// This file's loopback addresses: .166 (the server), .167 (an upstream resolver).
const ADDRESS = '127.0.0.166';
const UPSTREAM = '127.0.0.167';

let dir: string;
let upstream: dgram.Socket;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-coredns-'));
  upstream = dgram.createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    upstream.send(dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions, answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 5, data: '192.0.2.7' }] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream.bind(0, UPSTREAM, () => r()));
});

afterAll(async () => {
  upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, ADDRESS, () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('parseCoreDNSFlags', () => {
  it('takes CoreDNS\'s Go-style flags as the Deployment passes them', () => {
    expect(parseCoreDNSFlags(['-conf', '/etc/coredns/Corefile'])).toEqual({ conf: '/etc/coredns/Corefile', quiet: false });
    expect(parseCoreDNSFlags(['--conf=/c', '-dns.port=1053', '-quiet'])).toEqual({ conf: '/c', port: 1053, quiet: true });
  });

  it('refuses a flag CoreDNS does not define, as Go\'s flag package does', () => {
    expect(() => parseCoreDNSFlags(['-config', 'x'])).toThrow('flag provided but not defined: -config');
  });
});

describe('runCoreDNS', () => {
  it('serves a Corefile: forwards to the upstream, answers /health, /ready and /metrics', async () => {
    const corefile = path.join(dir, 'Corefile');
    await writeFile(corefile, `.:0 {\n  bind ${ADDRESS}\n  errors\n  health ${ADDRESS}:0\n  ready ${ADDRESS}:0\n  prometheus ${ADDRESS}:0\n  forward . ${UPSTREAM}:${upstream.address().port}\n  cache 30\n}\n`);
    const log = createMemoryLogger();
    const dns = await runCoreDNS(['-conf', corefile], { log });
    try {
      const socket = dgram.createSocket('udp4');
      const reply = new Promise<Buffer>((resolve) => socket.on('message', (m) => (socket.close(), resolve(m))));
      socket.send(dnsPacket.encode({ type: 'query', id: 9, questions: [{ name: 'example.org', type: 'A' }] }), dns.port(), ADDRESS);
      expect(dnsPacket.decode(await reply).answers![0]).toMatchObject({ data: '192.0.2.7' });
      const [health, ready, metrics] = dns.httpPorts();
      expect(await (await fetch(`http://${ADDRESS}:${health}/health`)).text()).toBe('OK');
      expect((await fetch(`http://${ADDRESS}:${ready}/ready`)).status).toBe(200);
      expect(await (await fetch(`http://${ADDRESS}:${metrics}/metrics`)).text()).toContain('coredns_dns_requests_total{proto="udp",server="dns://:0",type="A"} 1');
      expect(log.lines.join('\n')).toContain('CoreDNS-1.11.3');
    } finally {
      await dns.stop();
    }
  });

  it('stops with a loop error when forwarding comes back to itself (the loop plugin)', async () => {
    const port = await freePort();
    const corefile = path.join(dir, 'Loop');
    await writeFile(corefile, `.:${port} {\n  bind ${ADDRESS}\n  loop\n  forward . ${ADDRESS}:${port}\n}\n`);
    const dns = await runCoreDNS(['-conf', corefile], { log: createMemoryLogger() });
    await expect(dns.done).rejects.toMatchObject({ code: 'KF_COREDNS_LOOP' });
  });

  it('refuses a Corefile with a plugin it does not implement before listening', async () => {
    const corefile = path.join(dir, 'Bad');
    await writeFile(corefile, '.:53 {\n  hosts /etc/hosts\n}\n');
    await expect(runCoreDNS(['-conf', corefile], { log: createMemoryLogger() })).rejects.toMatchObject({ code: 'KF_COREFILE_INVALID' });
    await expect(runCoreDNS(['-conf', path.join(dir, 'missing')], { log: createMemoryLogger() })).rejects.toMatchObject({ code: 'KF_COREFILE_MISSING' });
  });
});
