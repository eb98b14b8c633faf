/**
 * The Corefile kubeadm writes, parsed into what the bundled DNS server does: server blocks
 * (`.:53 { … }`, zones and one port), and per block the plugins kubeforge implements — errors,
 * health, ready, kubernetes, prometheus, forward, cache, loop, reload, loadbalance, log, bind — with
 * their options. Anything else (an unknown plugin, an option of a known one that kubeforge does
 * not implement) is refused with the line it is on, so a Corefile never half-works silently.
 * Pure: text in, configuration or KF_COREFILE_INVALID out.
 */
import { isIP } from 'node:net';
import { validationError } from '../errors.js';

export interface KubernetesPlugin {
  /** The zones it is authoritative for (cluster.local, in-addr.arpa, ip6.arpa). */
  zones: string[];
  /** `pods disabled|insecure` (verified needs a pod watch kubeforge does not keep). */
  pods: 'disabled' | 'insecure';
  /** Zones whose misses go to the next plugin (forward); [] with `fallthrough` alone: every zone. */
  fallthrough?: string[];
  ttl: number;
  /** `kubeconfig PATH`: the API server from a kubeconfig instead of the in-cluster service account. */
  kubeconfig?: string;
  /** `endpoint URL`, with the in-cluster CA and token. */
  endpoint?: string;
  /** `noendpoints`: no endpoint (headless / endpoint-name) records. */
  noEndpoints: boolean;
}

export interface ForwardPlugin {
  /** The zone forwarded (`.`: every name). */
  from: string;
  /** `host[:port]` upstreams, or resolv.conf-style files whose nameservers are read. */
  to: string[];
  maxConcurrent: number;
  forceTcp: boolean;
  preferUdp: boolean;
  except: string[];
}

export interface CachePlugin {
  ttl: number;
  disableSuccess: string[];
  disableDenial: string[];
}

export interface ServerBlock {
  zones: string[];
  port: number;
  /** `bind ADDRESS...`: where to listen (every address when absent). */
  bind: string[];
  errors: boolean;
  log: boolean;
  health?: { address: string; lameduckMs: number };
  ready?: { address: string };
  prometheus?: { address: string };
  kubernetes?: KubernetesPlugin;
  forward?: ForwardPlugin;
  cache?: CachePlugin;
  loop: boolean;
  reload?: { intervalMs: number; jitterMs: number };
  loadbalance: boolean;
}

interface Token {
  text: string;
  line: number;
}

interface Directive {
  name: string;
  args: string[];
  block: Directive[];
  line: number;
}

function invalid(line: number, message: string): never {
  throw validationError('KF_COREFILE_INVALID', `Corefile:${line}: ${message}`, {
    hint: 'kubeforge\'s DNS server implements kubeadm\'s Corefile: errors, health, ready, kubernetes, prometheus, forward, cache, loop, reload, loadbalance, log, bind',
  });
}

/** Words, `{`, `}` and line ends; `#` comments; "quoted" words. */
function tokenize(text: string): Token[][] {
  const lines: Token[][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const tokens: Token[] = [];
    const re = /"((?:[^"\\]|\\.)*)"|([{}])|([^\s{}"#]+)|(#.*)/g;
    for (const m of raw.matchAll(re)) {
      if (m[4] !== undefined) break;
      tokens.push({ text: m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3])!, line: i + 1 });
    }
    if (tokens.length) lines.push(tokens);
  });
  return lines;
}

/** Directives until a closing brace (or the end), each with its own optional block. */
function parseDirectives(lines: Token[][], at: { i: number }, nested: boolean): Directive[] {
  const out: Directive[] = [];
  while (at.i < lines.length) {
    const tokens = lines[at.i]!;
    at.i++;
    if (tokens[0]!.text === '}') {
      if (!nested) invalid(tokens[0]!.line, 'unexpected "}"');
      if (tokens.length > 1) invalid(tokens[0]!.line, 'nothing may follow "}" on its line');
      return out;
    }
    const opens = tokens[tokens.length - 1]!.text === '{';
    const words = tokens.slice(0, opens ? -1 : undefined);
    if (words.some((t) => t.text === '{' || t.text === '}')) invalid(tokens[0]!.line, 'braces must end a line ("{") or stand alone ("}")');
    const directive: Directive = { name: words[0]!.text, args: words.slice(1).map((t) => t.text), block: [], line: tokens[0]!.line };
    if (opens) directive.block = parseDirectives(lines, at, true);
    out.push(directive);
  }
  if (nested) invalid(lines[lines.length - 1]?.[0]?.line ?? 1, 'missing "}"');
  return out;
}

/** `:8080`, `0.0.0.0:8080`, `[::]:8080` (port required). */
function address(line: number, value: string | undefined, fallback: string): string {
  const v = value ?? fallback;
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/.test(v)) invalid(line, `"${v}" is not an address (host:port or :port)`);
  return v;
}

function duration(line: number, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!m) invalid(line, `"${value}" is not a duration (e.g. 5s)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function integer(line: number, value: string | undefined, what: string, min = 0): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) invalid(line, `${what} must be an integer ≥ ${min}, not ${JSON.stringify(value)}`);
  return n;
}

/** A zone as a lowercase FQDN without the trailing dot; "." stays ".". */
export function normalizeZone(zone: string): string {
  const z = zone.toLowerCase().replace(/^dns:\/\//, '');
  return z === '.' ? '.' : z.replace(/\.$/, '');
}

function noBlock(d: Directive): void {
  if (d.block.length) invalid(d.line, `${d.name} takes no block`);
}

function argCount(d: Directive, max: number): void {
  if (d.args.length > max) invalid(d.line, `${d.name} takes at most ${max} argument(s), got ${d.args.length}`);
}

function kubernetesPlugin(d: Directive, blockZones: string[]): KubernetesPlugin {
  const plugin: KubernetesPlugin = { zones: d.args.length ? d.args.map(normalizeZone) : blockZones, pods: 'disabled', ttl: 5, noEndpoints: false };
  for (const o of d.block) {
    const option: Record<string, () => void> = {
      pods: () => {
        if (o.args.length !== 1 || !['disabled', 'insecure'].includes(o.args[0]!)) invalid(o.line, `pods must be "disabled" or "insecure"${o.args[0] === 'verified' ? ' (kubeforge does not implement "verified")' : ''}`);
        plugin.pods = o.args[0] as KubernetesPlugin['pods'];
      },
      fallthrough: () => (plugin.fallthrough = o.args.map(normalizeZone)),
      ttl: () => {
        plugin.ttl = integer(o.line, o.args[0], 'ttl');
        if (plugin.ttl > 3600) invalid(o.line, 'ttl must be at most 3600');
      },
      kubeconfig: () => (plugin.kubeconfig = o.args[0] ?? invalid(o.line, 'kubeconfig needs a path')),
      endpoint: () => (plugin.endpoint = o.args[0] ?? invalid(o.line, 'endpoint needs a URL')),
      noendpoints: () => (plugin.noEndpoints = true),
    };
    const apply = option[o.name];
    if (!apply) invalid(o.line, `kubernetes: option "${o.name}" is not supported by kubeforge (supported: ${Object.keys(option).join(', ')})`);
    apply();
  }
  return plugin;
}

function forwardPlugin(d: Directive): ForwardPlugin {
  if (d.args.length < 2) invalid(d.line, 'forward needs a zone and at least one upstream (forward . /etc/resolv.conf)');
  const plugin: ForwardPlugin = { from: normalizeZone(d.args[0]!), to: d.args.slice(1), maxConcurrent: 0, forceTcp: false, preferUdp: false, except: [] };
  for (const o of d.block) {
    const option: Record<string, () => void> = {
      max_concurrent: () => (plugin.maxConcurrent = integer(o.line, o.args[0], 'max_concurrent', 1)),
      force_tcp: () => (plugin.forceTcp = true),
      prefer_udp: () => (plugin.preferUdp = true),
      except: () => (plugin.except = o.args.map(normalizeZone)),
    };
    const apply = option[o.name];
    if (!apply) invalid(o.line, `forward: option "${o.name}" is not supported by kubeforge (supported: ${Object.keys(option).join(', ')})`);
    apply();
  }
  return plugin;
}

function cachePlugin(d: Directive): CachePlugin {
  argCount(d, 2);
  const plugin: CachePlugin = { ttl: d.args[0] ? integer(d.line, d.args[0], 'cache TTL', 1) : 3600, disableSuccess: [], disableDenial: [] };
  for (const o of d.block) {
    if (o.name !== 'disable' || !['success', 'denial'].includes(o.args[0] ?? '')) invalid(o.line, `cache: only "disable success|denial [ZONES...]" is supported by kubeforge, not "${o.name} ${o.args.join(' ')}"`);
    const zones = o.args.length > 1 ? o.args.slice(1).map(normalizeZone) : ['.'];
    (o.args[0] === 'success' ? plugin.disableSuccess : plugin.disableDenial).push(...zones);
  }
  return plugin;
}

/** The plugins of one server block. */
function serverBlock(keys: string[], line: number, directives: Directive[]): ServerBlock {
  const parsed = keys.flatMap((k) => k.split(',')).filter(Boolean).map((key) => {
    const m = /^(?:dns:\/\/)?([^:]*?)(?::(\d{1,5}))?$/.exec(key);
    if (!m || (m[1] === '' && !m[2])) invalid(line, `"${key}" is not a server block key (zone[:port], e.g. .:53)`);
    return { zone: normalizeZone(m[1] || '.'), port: m[2] ? Number(m[2]) : 53 };
  });
  const ports = new Set(parsed.map((p) => p.port));
  if (ports.size !== 1) invalid(line, 'the zones of one server block must share one port');
  const block: ServerBlock = { zones: parsed.map((p) => p.zone), port: [...ports][0]!, bind: [], errors: false, log: false, loop: false, loadbalance: false };
  const seen = new Set<string>();
  const plugins: Record<string, (d: Directive) => void> = {
    errors: (d) => (argCount(d, 0), noBlock(d), (block.errors = true)),
    log: (d) => (noBlock(d), (block.log = true)),
    bind: (d) => {
      noBlock(d);
      if (!d.args.length || d.args.some((a) => !isIP(a))) invalid(d.line, 'bind takes one or more IP addresses');
      block.bind = d.args;
    },
    health: (d) => {
      argCount(d, 1);
      let lameduckMs = 0;
      for (const o of d.block) {
        if (o.name !== 'lameduck' || o.args.length !== 1) invalid(o.line, `health: only "lameduck DURATION" is supported, not "${o.name}"`);
        lameduckMs = duration(o.line, o.args[0]!);
      }
      block.health = { address: address(d.line, d.args[0], ':8080'), lameduckMs };
    },
    ready: (d) => (argCount(d, 1), noBlock(d), (block.ready = { address: address(d.line, d.args[0], ':8181') })),
    prometheus: (d) => (argCount(d, 1), noBlock(d), (block.prometheus = { address: address(d.line, d.args[0], 'localhost:9153') })),
    kubernetes: (d) => (block.kubernetes = kubernetesPlugin(d, block.zones)),
    forward: (d) => (block.forward = forwardPlugin(d)),
    cache: (d) => (block.cache = cachePlugin(d)),
    loop: (d) => (argCount(d, 0), noBlock(d), (block.loop = true)),
    reload: (d) => {
      argCount(d, 2);
      noBlock(d);
      const intervalMs = d.args[0] ? duration(d.line, d.args[0]) : 30_000;
      if (intervalMs < 2000) invalid(d.line, 'reload interval must be at least 2s');
      block.reload = { intervalMs, jitterMs: d.args[1] ? duration(d.line, d.args[1]) : 15_000 };
    },
    loadbalance: (d) => {
      if (d.args.length && d.args[0] !== 'round_robin') invalid(d.line, `loadbalance: only round_robin is supported, not "${d.args[0]}"`);
      noBlock(d);
      block.loadbalance = true;
    },
  };
  for (const d of directives) {
    const plugin = plugins[d.name];
    if (!plugin) invalid(d.line, `plugin "${d.name}" is not supported by kubeforge's DNS server`);
    if (seen.has(d.name)) invalid(d.line, `plugin "${d.name}" appears twice in one server block`);
    seen.add(d.name);
    plugin(d);
  }
  return block;
}

export function parseCorefile(text: string): ServerBlock[] {
  const lines = tokenize(text);
  const top = parseDirectives(lines, { i: 0 }, false);
  if (!top.length) invalid(1, 'no server block');
  const blocks = top.map((d) => {
    if (!d.block.length && d.args.length === 0) invalid(d.line, `"${d.name}" is not followed by a "{" block of plugins`);
    return serverBlock([d.name, ...d.args], d.line, d.block);
  });
  const zonesByPort = new Map<number, Set<string>>();
  for (const b of blocks) {
    const zones = zonesByPort.get(b.port) ?? new Set<string>();
    for (const z of b.zones) {
      if (zones.has(z)) invalid(1, `zone "${z}" is served twice on port ${b.port}`);
      zones.add(z);
    }
    zonesByPort.set(b.port, zones);
  }
  return blocks;
}
