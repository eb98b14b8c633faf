/**
 * The forward plugin: names outside the cluster go to the node's resolvers (the nameservers of
 * the resolv.conf the Corefile names, read inside the pod: the node's, as the CoreDNS pod has
 * dnsPolicy Default). UDP first, TCP when the client asked over TCP or with force_tcp, the next
 * upstream when one fails or times out, and REFUSED beyond max_concurrent queries in flight, as
 * CoreDNS does. The query's bytes go out as they came in (one new id per upstream query).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { validationError } from '../errors.js';
import type { ForwardPlugin } from './corefile.js';

export interface Upstream {
  host: string;
  port: number;
}

/** The `nameserver` addresses of a resolv.conf text. */
export function resolvConfNameservers(text: string): string[] {
  return text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => Boolean(s && net.isIP(s.replace(/%.*$/, ''))));
}

/** `1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`, `dns://…`; undefined when it is not an address. */
export function parseUpstream(spec: string): Upstream | undefined {
  const s = spec.replace(/^dns:\/\//, '');
  if (net.isIP(s)) return { host: s, port: 53 };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(s);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  return host && net.isIP(host) && port > 0 && port < 65536 ? { host, port } : undefined;
}

/** The plugin's upstreams: addresses as given, files (absolute paths) by their nameservers. */
export function upstreamsOf(plugin: ForwardPlugin, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Upstream[] {
  const out: Upstream[] = [];
  for (const to of plugin.to) {
    const address = parseUpstream(to);
    if (address) out.push(address);
    else if (to.startsWith('/')) {
      let text: string;
      try {
        text = readFile(to);
      } catch (err) {
        throw validationError('KF_COREFILE_INVALID', `forward: cannot read ${to}: ${(err as Error).message}`, { cause: err });
      }
      out.push(...resolvConfNameservers(text).map((ns) => ({ host: ns, port: 53 })));
    } else throw validationError('KF_COREFILE_INVALID', `forward: "${to}" is neither an address nor a resolv.conf path`);
  }
  if (!out.length) throw validationError('KF_COREFILE_INVALID', `forward: no upstream nameserver in ${plugin.to.join(' ')}`, { hint: 'the node\'s resolv.conf must name at least one nameserver' });
  return out;
}

function udpQuery(upstream: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    const timer = setTimeout(() => done(new Error(`no answer from ${upstream.host}:${upstream.port} in ${timeoutMs} ms`)), timeoutMs);
    function done(err: Error | undefined, reply?: Buffer) {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply!);
    }
    socket.on('error', (err) => done(err));
    socket.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) done(undefined, msg);
    });
    socket.send(query, upstream.port, upstream.host);
  });
}

function tcpQuery(upstream: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: upstream.host, port: upstream.port, timeout: timeoutMs });
    let buffered = Buffer.alloc(0);
    const done = (err: Error | undefined, reply?: Buffer) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    socket.on('timeout', () => done(new Error(`no answer from ${upstream.host}:${upstream.port} over TCP in ${timeoutMs} ms`)));
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error(`${upstream.host}:${upstream.port} closed the TCP connection`)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) done(undefined, buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.write(Buffer.concat([length, query]));
  });
}

export class TooManyQueries extends Error {}

export class Forwarder {
  private inFlight = 0;

  constructor(
    readonly plugin: ForwardPlugin,
    private readonly upstreams: Upstream[],
    private readonly timeoutMs = 2000,
  ) {}

  /** Whether a name (lowercase, no trailing dot) is this plugin's to forward. */
  handles(name: string): boolean {
    const inside = (zone: string) => zone === '.' || name === zone || name.endsWith(`.${zone}`);
    return inside(this.plugin.from) && !this.plugin.except.some(inside);
  }

  /** The upstream's reply to a raw query, trying each upstream in turn. */
  async query(query: Buffer, overTcp: boolean): Promise<Buffer> {
    if (this.plugin.maxConcurrent && this.inFlight >= this.plugin.maxConcurrent) throw new TooManyQueries(`more than ${this.plugin.maxConcurrent} concurrent queries`);
    this.inFlight++;
    try {
      let last: unknown;
      for (const upstream of this.upstreams) {
        try {
          const tcp = overTcp || this.plugin.forceTcp;
          const reply = tcp ? await tcpQuery(upstream, query, this.timeoutMs) : await udpQuery(upstream, query, this.timeoutMs);
          return reply;
        } catch (err) {
          last = err;
        }
      }
      throw last instanceof Error ? last : new Error(String(last));
    } finally {
      this.inFlight--;
    }
  }
}
