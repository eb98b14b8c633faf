import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket as Decoded, type RecordType } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../log.js';
import { corefile } from '../bootstrap/addons.js';
import { ResponseCache } from './cache.js';
import { buildClusterIndex, endpointSetsFromSlice } from './cluster-state.js';
import { parseCorefile } from './corefile.js';
import { Forwarder } from './forward.js';
import { DnsHandler, listen, type Listener } from './server.js';

// This file's loopback addresses: the server on .160, a fake upstream resolver on .161.
const SERVER = '127.0.0.160';
const UPSTREAM = '127.0.0.161';

type DecodedPacket = Decoded & { rcode: string };

const many = Array.from({ length: 60 }, (_, i) => `10.216.3.${i + 1}`);
const index = buildClusterIndex(
  [
    { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.116.0.20', ports: [{ name: 'http', port: 80 }] } },
    { metadata: { name: 'big', namespace: 'default' }, spec: { clusterIP: 'None' } },
  ],
  new Map([['big.default', endpointSetsFromSlice({ metadata: { name: 'big-1' }, addressType: 'IPv4', endpoints: many.map((ip) => ({ addresses: [ip] })), ports: [] })]]),
);

let upstream: dgram.Socket;
let upstreamQueries = 0;
let listener: Listener;

async function udp(name: string, type: RecordType, edns?: number): Promise<DecodedPacket> {
  const socket = dgram.createSocket('udp4');
  const query = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }], ...(edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: edns } as never] } : {}) });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer')), 5000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(msg) as DecodedPacket);
    });
    socket.send(query, listener.port, SERVER);
  });
}

async function tcp(name: string, type: RecordType): Promise<DecodedPacket> {
  const socket = net.connect({ host: SERVER, port: listener.port });
  socket.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ name, type }] }));
  let data = Buffer.alloc(0);
  for await (const chunk of socket) {
    data = Buffer.concat([data, chunk as Buffer]);
    if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) break;
  }
  socket.destroy();
  return dnsPacket.streamDecode(data) as DecodedPacket;
}

beforeAll(async () => {
  upstream = dgram.createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    upstreamQueries++;
    const q = dnsPacket.decode(msg);
    upstream.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 60, data: '192.0.2.10' }] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream.bind(0, UPSTREAM, () => r()));
  const [block] = parseCorefile(corefile('cluster.local'));
  const forward = { ...block!.forward!, to: [`${UPSTREAM}:${upstream.address().port}`] };
  const handler = new DnsHandler({
    blocks: [{ block: block!, forwarder: new Forwarder(forward, [{ host: UPSTREAM, port: upstream.address().port }]), cache: new ResponseCache(block!.cache!) }],
    index: () => index,
    log: createMemoryLogger(),
  });
  listener = await listen(handler, SERVER, 0, createMemoryLogger());
});

afterAll(async () => {
  await listener?.close();
  upstream?.close();
});

describe('the DNS server over UDP and TCP', () => {
  it('answers a service name over UDP and over TCP, authoritatively, echoing the id', async () => {
    for (const reply of [await udp('web.default.svc.cluster.local', 'A'), await tcp('web.default.svc.cluster.local', 'A')]) {
      expect(reply.rcode).toBe('NOERROR');
      expect(reply.flag_aa).toBe(true);
      expect(reply.answers!.map((a) => (a as { data: string }).data)).toEqual(['10.116.0.20']);
    }
    expect((await udp('web.default.svc.cluster.local', 'A')).id).toBe(4242);
  });

  it('answers NXDOMAIN at once for a name in the cluster domain that does not exist, without asking upstream', async () => {
    const before = upstreamQueries;
    const started = performance.now();
    const reply = await udp('nosuch.default.svc.cluster.local', 'A');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(reply.rcode).toBe('NXDOMAIN');
    expect(reply.authorities![0]!.type).toBe('SOA');
    expect(upstreamQueries).toBe(before);
  });

  it('truncates a UDP answer to 512 bytes (TC set) and gives the whole answer over TCP', async () => {
    const small = await udp('big.default.svc.cluster.local', 'A');
    expect(small.flag_tc).toBe(true);
    expect(dnsPacket.encode(small).length).toBeLessThanOrEqual(512);
    const edns = await udp('big.default.svc.cluster.local', 'A', 4096);
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers).toHaveLength(60);
    expect((await tcp('big.default.svc.cluster.local', 'A')).answers).toHaveLength(60);
  });

  it('forwards other names to the upstream resolver and serves a repeat from the cache with a lower TTL', async () => {
    const before = upstreamQueries;
    const first = await udp('example.org', 'A');
    expect(first.answers!.map((a) => (a as { data: string }).data)).toEqual(['192.0.2.10']);
    const second = await udp('example.org', 'A');
    expect(second.answers![0]).toMatchObject({ data: '192.0.2.10' });
    expect((second.answers![0] as { ttl: number }).ttl).toBeLessThanOrEqual(30);
    expect(upstreamQueries).toBe(before + 1);
  });

  it('answers FORMERR to a packet that is not a DNS message, and NOTIMP to an opcode other than QUERY', async () => {
    const socket = dgram.createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => socket.on('message', (m) => (socket.close(), resolve(m))));
    socket.send(Buffer.from([0x12, 0x34, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0xff]), listener.port, SERVER);
    const bytes = await reply;
    expect(bytes.readUInt16BE(0)).toBe(0x1234);
    expect(bytes.readUInt16BE(2) & 0x800f).toBe(0x8001);
  });
});
