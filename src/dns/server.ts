/**
 * The DNS server: one handler for the server blocks of a port, and its UDP and TCP listeners.
 * A query goes to the block with the longest matching zone, then through that block's plugins
 * in CoreDNS's order — cache, kubernetes, forward — and the answer is shaped as CoreDNS shapes
 * it: authoritative for the kubernetes zones, A/AAAA rotated with loadbalance, truncated (TC)
 * to 512 bytes or the client's EDNS size over UDP, length-framed over TCP. A malformed packet
 * is FORMERR, an opcode other than QUERY is NOTIMP, a name no plugin serves is REFUSED.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import type { Logger } from '../log.js';
import { ResponseCache } from './cache.js';
import type { ClusterIndex } from './cluster-state.js';
import type { ServerBlock } from './corefile.js';
import { Forwarder, TooManyQueries } from './forward.js';
import { matchZone, NEXT_PLUGIN, resolveKubernetes } from './resolve.js';

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODES;

export interface BlockRuntime {
  block: ServerBlock;
  forwarder?: Forwarder;
  cache?: ResponseCache;
}

export interface Counters {
  requests: Map<string, number>;
  responses: Map<string, number>;
}

export interface HandlerOptions {
  blocks: BlockRuntime[];
  index: () => ClusterIndex;
  log: Logger;
  now?: () => number;
  /** The SOA serial (CoreDNS: the time of the last change). */
  serial?: () => number;
  /** Sees every question name (the loop plugin watches for its probe). */
  onQuestion?: (name: string) => void;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Rotates the A/AAAA records of an answer (loadbalance round_robin). */
function rotate(answers: Answer[], by: number): Answer[] {
  const addresses = answers.filter((a) => a.type === 'A' || a.type === 'AAAA');
  if (addresses.length < 2) return answers;
  const shift = by % addresses.length;
  const rotated = [...addresses.slice(shift), ...addresses.slice(0, shift)];
  return [...answers.filter((a) => a.type !== 'A' && a.type !== 'AAAA'), ...rotated];
}

/** The response packet's bytes, cut to `max` bytes with TC set when they do not fit. */
export function fitResponse(response: Packet, max: number): Buffer {
  let bytes = dnsPacket.encode(response);
  if (bytes.length <= max) return bytes;
  const cut: Packet = { ...response, flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, additionals: (response.additionals ?? []).filter((a) => a.type === 'OPT') };
  const answers = [...(response.answers ?? [])];
  for (;;) {
    bytes = dnsPacket.encode({ ...cut, answers });
    if (bytes.length <= max || answers.length === 0) return bytes.length <= max ? bytes : dnsPacket.encode({ ...cut, answers: [], authorities: [] });
    answers.pop();
  }
}

export class DnsHandler {
  readonly counters: Counters = { requests: new Map(), responses: new Map() };
  private turn = 0;

  constructor(private readonly options: HandlerOptions) {}

  private blockFor(name: string): BlockRuntime | undefined {
    let best: BlockRuntime | undefined;
    let bestZone: string | undefined;
    for (const runtime of this.options.blocks) {
      const zone = matchZone(name, runtime.block.zones);
      if (zone !== undefined && (bestZone === undefined || bestZone === '.' || (zone !== '.' && zone.length > bestZone.length))) {
        best = runtime;
        bestZone = zone;
      }
    }
    return best;
  }

  private reply(query: DecodedPacket, rcode: Rcode, extra: Partial<Packet> = {}, authoritative = false): Packet {
    const opt = (query.additionals ?? []).find((a) => a.type === 'OPT');
    const flags = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
    return {
      type: 'response',
      id: query.id,
      flags: flags | dnsPacket.RECURSION_AVAILABLE | (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODES[rcode],
      questions: query.questions,
      answers: extra.answers ?? [],
      authorities: extra.authorities ?? [],
      additionals: [...(extra.additionals ?? []), ...(opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as Answer] : [])],
    };
  }

  /** The response to one query's bytes (undefined: not even a header, nothing to answer). */
  async handle(bytes: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(bytes);
    } catch {
      if (bytes.length < 12) return undefined;
      const header = Buffer.from(bytes.subarray(0, 12));
      header.writeUInt16BE(0x8000 | (header.readUInt16BE(2) & 0x7900) | RCODES.FORMERR, 2);
      header.fill(0, 4);
      return header;
    }
    const max = transport === 'tcp' ? 65535 : Math.max(512, Math.min(4096, ((query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined)?.udpPayloadSize ?? 512));
    const response = await this.answer(query, bytes, transport);
    bump(this.counters.responses, String(response.flags! & 0xf));
    return fitResponse(response, max);
  }

  private async answer(query: DecodedPacket, bytes: Buffer, transport: 'udp' | 'tcp'): Promise<Packet> {
    if (((query.flags ?? 0) >> 11) & 0xf) return this.reply(query, 'NOTIMP');
    const question = query.questions?.[0];
    if (query.type === 'response' || query.questions?.length !== 1 || !question) return this.reply(query, 'FORMERR');
    const name = question.name.toLowerCase().replace(/\.$/, '') || '.';
    bump(this.counters.requests, `${transport}|${question.type}`);
    this.options.onQuestion?.(name);
    const runtime = this.blockFor(name);
    if (!runtime) return this.reply(query, 'REFUSED');
    const { block, cache, forwarder } = runtime;
    const now = (this.options.now ?? Date.now)();
    const dnssecOk = (((query.additionals ?? []).find((a) => a.type === 'OPT') as { flags?: number } | undefined)?.flags ?? 0) & dnsPacket.DNSSEC_OK;
    const key = ResponseCache.key(name, question.type, Boolean(dnssecOk));
    const cached = cache?.get(key, now);
    if (cached) return { ...cached, id: query.id, questions: query.questions };
    let response: Packet & { rcode?: string } | undefined;
    if (block.kubernetes) {
      const resolved = resolveKubernetes(this.options.index(), block.kubernetes, name, question.type as RecordType, this.options.serial?.() ?? 0);
      if (resolved !== NEXT_PLUGIN) {
        const answers = block.loadbalance ? rotate(resolved.answers, this.turn++) : resolved.answers;
        response = { ...this.reply(query, resolved.rcode, { ...resolved, answers }, true), rcode: resolved.rcode };
      }
    }
    if (!response && forwarder?.handles(name)) {
      try {
        const upstream = dnsPacket.decode(await forwarder.query(bytes, transport === 'tcp'));
        response = { ...upstream, id: query.id, rcode: (upstream as { rcode?: string }).rcode };
      } catch (err) {
        if (block.errors) this.options.log.warn(`[ERROR] plugin/forward: ${name} ${question.type}: ${(err as Error).message}`);
        return this.reply(query, err instanceof TooManyQueries ? 'REFUSED' : 'SERVFAIL');
      }
    }
    if (!response) return this.reply(query, block.kubernetes ? 'SERVFAIL' : 'REFUSED');
    if (block.log) this.options.log.info(`[INFO] "${question.type} IN ${name}. ${transport}" ${response.rcode}`);
    if (cache && !((response.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE)) cache.set(key, name, response, now);
    return response;
  }
}

export interface Listener {
  address: string;
  port: number;
  close(): Promise<void>;
}

/** UDP and TCP on one address and port (port 0: one free port for both). */
export async function listen(handler: DnsHandler, address: string, port: number, log: Logger): Promise<Listener> {
  const tcp = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        void handler.handle(Buffer.from(message), 'tcp').then((reply) => {
          if (!reply || socket.destroyed) return;
          const length = Buffer.alloc(2);
          length.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([length, reply]));
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host: address, port }, () => (tcp.off('error', reject), resolve()));
  });
  const bound = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
  udp.on('message', (msg, rinfo) => {
    void handler.handle(msg, 'udp').then((reply) => {
      if (reply) udp.send(reply, rinfo.port, rinfo.address);
    });
  });
  udp.on('error', (err) => log.warn(`[ERROR] udp ${address}:${bound}: ${err.message}`));
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(bound, address, () => (udp.off('error', reject), resolve()));
    });
  } catch (err) {
    tcp.close();
    throw err;
  }
  return {
    address,
    port: bound,
    close: async () => {
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
