/**
 * `kubeforge component coredns -conf /etc/coredns/Corefile`: the bundled cluster DNS server that
 * kubeadm's CoreDNS Deployment runs where the CoreDNS image cannot be pulled. It takes CoreDNS's
 * flags (-conf, -dns.port, -quiet), serves every server block of the Corefile on UDP and TCP,
 * with health, ready and prometheus, the loop check at start (a forwarding loop is fatal, as in
 * CoreDNS), reload of a changed Corefile (a broken one is logged and the running one kept), and
 * health's lameduck on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { KubeforgeError, validationError } from '../errors.js';
import { createHost, type FileHost } from '../host/index.js';
import { KubeClient } from '../kube/index.js';
import { createLogger, type Logger } from '../log.js';
import { dnsApiAccess } from './api-client.js';
import { ResponseCache } from './cache.js';
import { ClusterWatch } from './cluster-watch.js';
import { parseCorefile, type ServerBlock } from './corefile.js';
import { Forwarder, upstreamsOf } from './forward.js';
import { metricsText, serveHttp, type HttpEndpoint } from './http.js';
import { DnsHandler, listen, type BlockRuntime, type Listener } from './server.js';

/** The CoreDNS version kubeforge's server stands in for (kubeadm 1.32's). */
export const COREDNS_VERSION = '1.11.3';

export interface CoreDNSFlags {
  conf: string;
  port?: number;
  quiet: boolean;
}

/** CoreDNS's Go flags: `-conf X`, `-conf=X`, `--conf X`, `-dns.port N`, `-quiet`. */
export function parseCoreDNSFlags(argv: string[]): CoreDNSFlags {
  const flags: CoreDNSFlags = { conf: 'Corefile', quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([a-z.]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) throw validationError('KF_COREDNS_FLAGS', `unexpected argument "${argv[i]}"`, { hint: 'usage: coredns -conf FILE [-dns.port N] [-quiet]' });
    const value = () => m[2] ?? argv[++i] ?? '';
    if (m[1] === 'conf') flags.conf = value();
    else if (m[1] === 'dns.port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw validationError('KF_COREDNS_FLAGS', '-dns.port must be a port number');
      flags.port = port;
    } else if (m[1] === 'quiet') flags.quiet = m[2] === undefined || m[2] === 'true';
    else throw validationError('KF_COREDNS_FLAGS', `flag provided but not defined: -${m[1]}`, { hint: 'kubeforge\'s coredns takes -conf, -dns.port and -quiet' });
  }
  return flags;
}

interface Instance {
  listeners: Listener[];
  http: HttpEndpoint[];
  abort: AbortController;
  lameduckMs: number;
  handler: DnsHandler;
}

export interface RunningCoreDNS {
  stop(): Promise<void>;
  done: Promise<void>;
  /** The DNS port actually bound (port 0 in tests), and the handler's counters. */
  port(): number;
  httpPorts(): number[];
}

/** Listens where the block says, or on every address (dual-stack when the pod has IPv6). */
async function listenBlock(handler: DnsHandler, block: ServerBlock, port: number, log: Logger): Promise<Listener[]> {
  if (block.bind.length) return Promise.all(block.bind.map((a) => listen(handler, a, port, log)));
  try {
    return [await listen(handler, '::', port, log)];
  } catch {
    return [await listen(handler, '0.0.0.0', port, log)];
  }
}

/** Sends the loop plugin's probe to this server; it must not come back more than twice. */
function loopProbe(address: string, port: number, name: string): void {
  const host = address === '::' || address === '0.0.0.0' ? '127.0.0.1' : address;
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => socket.close());
  socket.send(dnsPacket.encode({ type: 'query', id: randomBytes(2).readUInt16BE(0), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'HINFO', name }] }), port, host, () => {
    setTimeout(() => socket.close(), 2000).unref();
  });
}

/** What `start` needs besides the Corefile: files, flags, the log, the resolv.conf texts read, and what a loop does. */
interface StartContext {
  files: FileHost;
  flags: CoreDNSFlags;
  log: Logger;
  resolvConf: (path: string) => string;
  fatal: (err: Error) => void;
}

async function start(text: string, { files, flags, log, resolvConf, fatal }: StartContext): Promise<Instance> {
  const blocks = parseCorefile(text);
  if (new Set(blocks.map((b) => b.port)).size > 1 && flags.port === undefined) throw validationError('KF_COREFILE_INVALID', 'kubeforge serves the server blocks of one port only');
  const abort = new AbortController();
  const kubernetes = blocks.find((b) => b.kubernetes)?.kubernetes;
  let watch: ClusterWatch | undefined;
  let tokenTimer: NodeJS.Timeout | undefined;
  if (kubernetes) {
    const access = await dnsApiAccess(files, kubernetes, process.env);
    const client = new KubeClient(access.config);
    watch = new ClusterWatch(client, log);
    void watch.start(abort.signal).catch((err) => log.warn(`[ERROR] plugin/kubernetes: ${(err as Error).message}`));
    if (access.refreshToken) tokenTimer = setInterval(() => void access.refreshToken!().catch(() => {}), 60_000);
    abort.signal.addEventListener('abort', () => (clearInterval(tokenTimer), client.close()));
  }
  const runtimes: BlockRuntime[] = blocks.map((block) => ({
    block,
    ...(block.forward ? { forwarder: new Forwarder(block.forward, upstreamsOf(block.forward, resolvConf)) } : {}),
    ...(block.cache ? { cache: new ResponseCache(block.cache) } : {}),
  }));
  const probeName = `${randomBytes(8).readBigUInt64BE()}.${randomBytes(8).readBigUInt64BE()}`;
  let probeSeen = 0;
  const handler = new DnsHandler({
    blocks: runtimes,
    index: () => watch!.index(),
    log,
    serial: () => watch?.serial ?? 0,
    onQuestion: (name) => {
      if (!name.startsWith(probeName)) return;
      if (++probeSeen === 3) fatal(new KubeforgeError('KF_COREDNS_LOOP', `Loop (127.0.0.1 -> :${blocks[0]!.port}) detected for zone "${blocks[0]!.zones[0]}", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${name}."`));
    },
  });
  const port = flags.port ?? blocks[0]!.port;
  const listeners = (await Promise.all(blocks.slice(0, 1).map((b) => listenBlock(handler, b, port, log)))).flat();
  const http: HttpEndpoint[] = [];
  const instance: Instance = { listeners, http, abort, handler, lameduckMs: blocks.find((b) => b.health)?.health?.lameduckMs ?? 0 };
  try {
    for (const block of blocks) {
      if (block.health) http.push(await serveHttp(block.health.address, { '/health': () => ({ status: 200, body: 'OK' }) }));
      if (block.ready) {
        http.push(await serveHttp(block.ready.address, {
          '/ready': () => (!watch || watch.synced ? { status: 200, body: 'OK' } : { status: 503, body: 'kubernetes' }),
        }));
      }
      if (block.prometheus) {
        const caches = runtimes.map((r) => r.cache).filter((c): c is ResponseCache => Boolean(c));
        http.push(await serveHttp(block.prometheus.address, {
          '/metrics': () => ({
            status: 200,
            type: 'text/plain; version=0.0.4; charset=utf-8',
            body: metricsText({ ...handler.counters, cacheHits: sum(caches, 'hits'), cacheMisses: sum(caches, 'misses'), cacheSize: sum(caches, 'size'), version: COREDNS_VERSION }, `dns://:${port}`),
          }),
        }));
      }
    }
  } catch (err) {
    await stopInstance(instance, 0);
    throw err;
  }
  for (const b of blocks) if (!flags.quiet) log.info(`${b.zones.map((z) => `${z === '.' ? '' : z}.:${port}`).join(' ')}`);
  if (!flags.quiet) log.info(`CoreDNS-${COREDNS_VERSION} (kubeforge)\nlinux/${process.arch}, node ${process.version}`);
  const loopBlock = blocks.find((b) => b.loop && b.forward);
  if (loopBlock) {
    const zone = loopBlock.zones[0]!;
    loopProbe(listeners[0]!.address, listeners[0]!.port, `${probeName}${zone === '.' ? '' : `.${zone}`}`);
  }
  return instance;
}

function sum(caches: ResponseCache[], field: 'hits' | 'misses' | 'size'): number {
  return caches.reduce((n, c) => n + c[field], 0);
}

async function stopInstance(instance: Instance, lameduckMs: number): Promise<void> {
  if (lameduckMs) await new Promise((r) => setTimeout(r, lameduckMs));
  instance.abort.abort();
  await Promise.all([...instance.listeners, ...instance.http].map((l) => l.close()));
}

export async function runCoreDNS(argv: string[], options: { root?: string; log?: Logger } = {}): Promise<RunningCoreDNS> {
  const flags = parseCoreDNSFlags(argv);
  const host = createHost(options.root ?? '/');
  const log = options.log ?? createLogger({});
  const read = async () => {
    const text = await host.files.tryReadFile(flags.conf);
    if (!text) throw validationError('KF_COREFILE_MISSING', `Corefile ${flags.conf} does not exist`, { hint: 'pass -conf with the Corefile\'s path (kubeadm mounts it at /etc/coredns/Corefile)' });
    return text.toString('utf8');
  };
  const resolvConfs = new Map<string, string>();
  // The forward plugin reads resolv.conf once per (re)load; read every file it may name up front.
  const preload = async (text: string) => {
    for (const b of parseCorefile(text)) for (const to of b.forward?.to ?? []) if (to.startsWith('/')) resolvConfs.set(to, (await host.files.tryReadFile(to))?.toString('utf8') ?? '');
  };
  let text = await read();
  await preload(text);
  let failed!: (err: Error) => void;
  let stopped!: () => void;
  const done = new Promise<void>((resolve, reject) => {
    failed = reject;
    stopped = resolve;
  });
  const fatal = (err: Error) => {
    log.warn(`[FATAL] plugin/loop: ${err.message}`);
    void stopInstance(instance, 0).then(() => failed(err));
  };
  const context: StartContext = { files: host.files, flags, log, fatal, resolvConf: (p) => resolvConfs.get(p) ?? '' };
  let instance = await start(text, context);
  const reload = parseCorefile(text).find((b) => b.reload)?.reload;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (!reload) return;
    timer = setTimeout(() => void check().finally(schedule), reload.intervalMs + Math.random() * reload.jitterMs);
    timer.unref();
  };
  const check = async () => {
    const next = await read().catch(() => text);
    if (next === text) return;
    try {
      await preload(next);
      parseCorefile(next);
    } catch (err) {
      log.warn(`[ERROR] Corefile changed but reload failed: ${(err as Error).message}`);
      return;
    }
    await stopInstance(instance, 0);
    try {
      instance = await start(next, context);
      text = next;
      log.info('[INFO] Reloading complete');
    } catch (err) {
      log.warn(`[ERROR] Corefile changed but reload failed: ${(err as Error).message}; serving the previous one`);
      instance = await start(text, context);
    }
  };
  schedule();
  return {
    stop: async () => {
      clearTimeout(timer);
      await stopInstance(instance, instance.lameduckMs);
      stopped();
    },
    done,
    port: () => instance.listeners[0]!.port,
    httpPorts: () => instance.http.map((h) => h.port),
  };
}

