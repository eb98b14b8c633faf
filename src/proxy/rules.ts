/**
 * kube-proxy's iptables rules as a pure function of the proxied Service ports, in upstream's
 * shape (pkg/proxy/iptables/proxier.go) but with every chain named `<prefix>-...` for one
 * cluster: several clusters share this kernel's nat and filter tables, so each one's rules
 * only ever see that cluster's addresses. The built-in chains jump once into the cluster's
 * entry chains (hooks, below); those test the destination — a cluster IP (within the smallest
 * prefix covering the cluster's cluster IPs, always inside its service CIDR) or a node address
 * of this cluster on this machine — before anything else, so another cluster's traffic passes
 * through untouched.
 *
 *   nat  ENTRY      -d <cluster IPs> → SERVICES; -d <node address> → NODEPORTS
 *        SERVICES   per port: → SVC (or per local node's pod CIDR → SVL with internalTrafficPolicy Local)
 *        NODEPORTS  per node port → EXT (per node with externalTrafficPolicy Local)
 *        EXT        masquerade, → SVC (Local: pods and local sources → SVC, others → SVL of that node)
 *        SVC/SVL    ClientIP affinity (recent), then random choice among SEP chains
 *        SEP        hairpin masquerade, DNAT to the endpoint
 *        MARK-MASQ, POSTROUTING: the mark, and MASQUERADE of marked packets
 *  filter FILTER    connections to 127/8 from elsewhere that the proxy did not DNAT: DROP (route_localnet);
 *                   new connections to a port without endpoints: REJECT (DROP without local ones)
 *        FORWARD    accept marked (proxied) packets where FORWARD's policy drops
 */
import { createHash } from 'node:crypto';
import { ipToInt, type ProxyEndpoint, type ProxyServicePort } from './endpoints.js';

export const MASQUERADE_MARK = '0x4000';

export interface LocalNode {
  name: string;
  /** This node's addresses where node ports answer (its InternalIPs on this machine). */
  addresses: string[];
  podCIDR?: string;
}

export interface RenderOptions {
  /** The cluster's chain prefix (`KF` + 6 hex digits of its CA's hash). */
  prefix: string;
  /** The pod network (KubeProxyConfiguration clusterCIDR): other sources going to a cluster IP are masqueraded. */
  clusterCIDR?: string;
  nodes: readonly LocalNode[];
}

export type Table = 'nat' | 'filter';
/** Chain name → its rules (each a full `-A CHAIN ...` line), per table. */
export type RuleSet = Record<Table, Map<string, string[]>>;

/** A built-in chain's one jump into the cluster's chains. */
export interface Hook {
  table: Table;
  chain: string;
  target: string;
}

export const hooks = (prefix: string): Hook[] => [
  { table: 'nat', chain: 'PREROUTING', target: `${prefix}-ENTRY` },
  { table: 'nat', chain: 'OUTPUT', target: `${prefix}-ENTRY` },
  { table: 'nat', chain: 'POSTROUTING', target: `${prefix}-POSTROUTING` },
  { table: 'filter', chain: 'INPUT', target: `${prefix}-FILTER` },
  { table: 'filter', chain: 'OUTPUT', target: `${prefix}-FILTER` },
  { table: 'filter', chain: 'FORWARD', target: `${prefix}-FILTER` },
  { table: 'filter', chain: 'FORWARD', target: `${prefix}-FORWARD` },
];

/** The rule spec of a hook (after `-A/-I/-C/-D <chain>`). */
export const hookRule = (prefix: string, hook: Hook) => ['-m', 'comment', '--comment', `kubeforge ${prefix} service portals`, '-j', hook.target];

/** Upstream's portProtoHash: base32 of a SHA-256, cut to fit iptables' 28-character names. */
function hash(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('|')).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 12) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** The smallest prefix covering every address (`a.b.c.d/len`). */
export function coveringPrefix(ips: readonly string[]): string | undefined {
  if (ips.length === 0) return undefined;
  const values = ips.map(ipToInt);
  const low = Math.min(...values);
  const high = Math.max(...values);
  let len = 32;
  while (len > 0 && Math.floor(low / 2 ** (32 - len)) !== Math.floor(high / 2 ** (32 - len))) len--;
  const base = Math.floor(low / 2 ** (32 - len)) * 2 ** (32 - len);
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${len}`;
}

const comment = (text: string) => `-m comment --comment "${text.replace(/["\\]/g, '')}"`;
const probability = (n: number, i: number) => (1 / (n - i)).toFixed(10);

interface Fragment {
  nat: Map<string, string[]>;
  filter: Map<string, string[]>;
}

/**
 * What one render keeps for the next: each Service port's rules by its content, so a sync
 * after one endpoint change renders that port alone (the rest is reused, as upstream's partial
 * syncs skip unchanged services).
 */
export class RenderCache {
  fragments = new Map<string, Fragment>();
}

export function renderRules(ports: readonly ProxyServicePort[], options: RenderOptions, cache?: RenderCache): RuleSet {
  const P = options.prefix;
  const context = JSON.stringify(options);
  let nat = new Map<string, string[]>();
  let filter = new Map<string, string[]>();
  const add = (table: Map<string, string[]>, chain: string, rule: string) => {
    const rules = table.get(chain) ?? [];
    rules.push(`-A ${chain} ${rule}`);
    table.set(chain, rules);
  };
  const chain = (table: Map<string, string[]>, name: string) => {
    if (!table.has(name)) table.set(name, []);
    return name;
  };
  const MARK = chain(nat, `${P}-MARK-MASQ`);
  add(nat, MARK, `-j MARK --or-mark ${MASQUERADE_MARK}`);
  const POST = chain(nat, `${P}-POSTROUTING`);
  add(nat, POST, `-m mark ! --mark ${MASQUERADE_MARK}/${MASQUERADE_MARK} -j RETURN`);
  add(nat, POST, `-j MARK --xor-mark ${MASQUERADE_MARK}`);
  add(nat, POST, `${comment('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully`);
  const ENTRY = chain(nat, `${P}-ENTRY`);
  const SERVICES = chain(nat, `${P}-SERVICES`);
  const NODEPORTS = chain(nat, `${P}-NODEPORTS`);
  const FILTER = chain(filter, `${P}-FILTER`);
  const FSERVICES = chain(filter, `${P}-SERVICES`);
  const FEXTERNAL = chain(filter, `${P}-EXTERNAL-SERVICES`);
  const FORWARD = chain(filter, `${P}-FORWARD`);
  // route_localnet (index.ts) lets 127/8 destinations in from any interface: only proxied
  // (DNAT) connections may use that, as upstream's KUBE-FIREWALL has it; anything else sent to a
  // node's loopback address from off this machine is dropped.
  add(filter, FILTER, `${comment('block incoming localnet connections')} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`);
  add(filter, FORWARD, `${comment('kubernetes forwarding rules')} -m mark --mark ${MASQUERADE_MARK}/${MASQUERADE_MARK} -j ACCEPT`);

  const cover = coveringPrefix(ports.map((p) => p.clusterIP));
  if (cover) {
    add(nat, ENTRY, `-d ${cover} -j ${SERVICES}`);
    add(filter, FILTER, `-m conntrack --ctstate NEW -d ${cover} -j ${FSERVICES}`);
  }
  for (const node of options.nodes) {
    for (const address of node.addresses) {
      add(nat, ENTRY, `-d ${address}/32 -j ${NODEPORTS}`);
      add(filter, FILTER, `-m conntrack --ctstate NEW -d ${address}/32 -j ${FEXTERNAL}`);
    }
  }

  /** A SVC/SVL chain spreading over these endpoints, with ClientIP affinity when asked. */
  const balance = (name: string, sp: ProxyServicePort, endpoints: readonly ProxyEndpoint[]) => {
    chain(nat, name);
    const seps = endpoints.map((e) => ({ e, sep: `${P}-SEP-${hash(sp.id, sp.protocol, `${e.ip}:${e.port}`)}` }));
    if (sp.affinitySeconds !== undefined) {
      for (const { e, sep } of seps) add(nat, name, `${comment(`${sp.id} -> ${e.ip}:${e.port}`)} -m recent --name ${sep} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep}`);
    }
    seps.forEach(({ e, sep }, i) => {
      const random = i < seps.length - 1 ? ` -m statistic --mode random --probability ${probability(seps.length, i)}` : '';
      add(nat, name, `${comment(`${sp.id} -> ${e.ip}:${e.port}`)}${random} -j ${sep}`);
      if (nat.has(sep)) return;
      add(nat, sep, `${comment(sp.id)} -s ${e.ip}/32 -j ${MARK}`);
      const recent = sp.affinitySeconds !== undefined ? ` -m recent --name ${sep} --set` : '';
      add(nat, sep, `${comment(sp.id)} -p ${sp.protocol}${recent} -m ${sp.protocol} -j DNAT --to-destination ${e.ip}:${e.port}`);
    });
    return name;
  };
  const local = (sp: ProxyServicePort, node: LocalNode) => sp.endpoints.filter((e) => e.nodeName === node.name);
  const match = (sp: ProxyServicePort) => `-p ${sp.protocol} -m ${sp.protocol}`;

  /** One Service port's chains and its rules in the shared chains, written into `nat`/`filter` (a fragment). */
  const renderPort = (sp: ProxyServicePort) => {
    const dst = `-d ${sp.clusterIP}/32 ${match(sp)} --dport ${sp.port}`;
    if (sp.endpoints.length === 0) {
      add(filter, FSERVICES, `${comment(`${sp.id} has no endpoints`)} ${dst} -j REJECT --reject-with icmp-port-unreachable`);
      if (sp.nodePort) for (const node of options.nodes) for (const a of node.addresses) add(filter, FEXTERNAL, `${comment(`${sp.id} has no endpoints`)} -d ${a}/32 ${match(sp)} --dport ${sp.nodePort} -j REJECT --reject-with icmp-port-unreachable`);
      return;
    }
    const svc = chain(nat, `${P}-SVC-${hash(sp.id, sp.protocol)}`);
    if (options.clusterCIDR) add(nat, svc, `${comment(`${sp.id} cluster IP`)} ! -s ${options.clusterCIDR} ${dst} -j ${MARK}`);
    balance(svc, sp, sp.endpoints);
    // internalTrafficPolicy Local: a pod reaches only the endpoints on its own node.
    if (sp.internalLocal) {
      for (const node of options.nodes.filter((n) => n.podCIDR)) {
        const mine = local(sp, node);
        if (mine.length === 0) add(filter, FSERVICES, `${comment(`${sp.id} has no local endpoints`)} -s ${node.podCIDR} ${dst} -j DROP`);
        else add(nat, SERVICES, `${comment(`${sp.id} cluster IP`)} -s ${node.podCIDR} ${dst} -j ${balance(`${P}-SVL-${hash(sp.id, sp.protocol, node.name)}`, sp, mine)}`);
      }
    }
    add(nat, SERVICES, `${comment(`${sp.id} cluster IP`)} ${dst} -j ${svc}`);
    if (!sp.nodePort) return;
    for (const node of options.nodes) {
      const mine = local(sp, node);
      if (sp.externalLocal && mine.length === 0) {
        for (const a of node.addresses) add(filter, FEXTERNAL, `${comment(`${sp.id} has no local endpoints`)} -d ${a}/32 ${match(sp)} --dport ${sp.nodePort} -j DROP`);
        continue;
      }
      const ext = `${P}-EXT-${hash(sp.id, sp.protocol, sp.externalLocal ? node.name : '')}`;
      if (!nat.has(ext)) {
        chain(nat, ext);
        if (sp.externalLocal) {
          // Pods and the node itself still get every endpoint; outside clients keep their source IP.
          if (options.clusterCIDR) add(nat, ext, `${comment('pod traffic for ' + sp.id + ' external destinations')} -s ${options.clusterCIDR} -j ${svc}`);
          add(nat, ext, `${comment('masquerade LOCAL traffic for ' + sp.id + ' external destinations')} -m addrtype --src-type LOCAL -j ${MARK}`);
          add(nat, ext, `${comment('route LOCAL traffic for ' + sp.id + ' external destinations')} -m addrtype --src-type LOCAL -j ${svc}`);
          add(nat, ext, `-j ${balance(`${P}-SVL-${hash(sp.id, sp.protocol, node.name)}`, sp, mine)}`);
        } else {
          add(nat, ext, `${comment(`masquerade traffic for ${sp.id} external destinations`)} -j ${MARK}`);
          add(nat, ext, `-j ${svc}`);
        }
      }
      for (const a of node.addresses) add(nat, NODEPORTS, `${comment(sp.id)} -d ${a}/32 ${match(sp)} --dport ${sp.nodePort} -j ${ext}`);
    }
  };
  const fresh = new Map<string, Fragment>();
  const [allNat, allFilter] = [nat, filter];
  for (const sp of ports) {
    const key = `${JSON.stringify(sp)}|${context}`;
    let fragment = cache?.fragments.get(key) ?? fresh.get(key);
    if (!fragment) {
      [nat, filter] = [new Map(), new Map()];
      renderPort(sp);
      fragment = { nat, filter };
      [nat, filter] = [allNat, allFilter];
    }
    fresh.set(key, fragment);
    for (const [table, into] of [[fragment.nat, nat], [fragment.filter, filter]] as const) {
      for (const [name, rules] of table) {
        // Copies: the cached fragment stays as rendered.
        const target = into.get(name);
        if (target) target.push(...rules);
        else into.set(name, [...rules]);
      }
    }
  }
  if (cache) cache.fragments = fresh;
  return { nat, filter };
}
