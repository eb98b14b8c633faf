/**
 * A pod's resolv.conf, as the kubelet computes it (pkg/kubelet/network/dns): by dnsPolicy —
 * ClusterFirst (the default): the cluster DNS service, the search list
 * `<ns>.svc.<domain> svc.<domain> <domain>` followed by the node's, and `ndots:5`; a host-network
 * pod with ClusterFirst, and Default: the node's resolv.conf (the kubelet's `resolvConf`);
 * ClusterFirstWithHostNet: the cluster DNS even on the host network; None: only the pod's
 * dnsConfig. The pod's dnsConfig is then merged in (servers and searches appended without
 * duplicates, options replacing the same name), and the search list is cut at 32 entries and
 * 2048 characters. Without clusterDNS in the kubelet config ClusterFirst falls back to Default.
 * Pure: the pod, the node's resolv.conf text and the kubelet's DNS settings in.
 */
import type { Pod } from '../pod.js';

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface KubeletDns {
  /** The kubelet config's clusterDNS (the kube-dns Service's IP). */
  clusterDNS: string[];
  clusterDomain: string;
}

interface PodDnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

/** MaxDNSSearchPaths and MaxDNSSearchListChars of the kubelet. */
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;
/** The kubelet reads at most three nameservers from the host (the resolver's limit). */
const MAX_NAMESERVERS = 3;

/** nameserver, search/domain (the last line wins) and options of a resolv.conf. */
export function parseResolvConf(text: string): DnsConfig {
  const config: DnsConfig = { servers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const [key, ...fields] = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && fields[0]) config.servers.push(fields[0]);
    else if (key === 'search' || key === 'domain') config.searches = fields.filter(Boolean).map((s) => s.replace(/\.$/, ''));
    else if (key === 'options') config.options.push(...fields.filter(Boolean));
  }
  config.servers = config.servers.slice(0, MAX_NAMESERVERS);
  return config;
}

type PolicyKind = 'cluster' | 'host' | 'none';

function policyKind(pod: Pod): PolicyKind {
  const policy = (pod.spec as { dnsPolicy?: string }).dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None') return 'none';
  if (policy === 'ClusterFirstWithHostNet') return 'cluster';
  if (policy === 'ClusterFirst' && pod.spec.hostNetwork !== true) return 'cluster';
  return 'host';
}

const unique = (list: string[]) => [...new Set(list)];

/** Options by name, later ones replacing earlier ones (ndots:2 over ndots:5). */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

function trimSearches(searches: string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of searches.slice(0, MAX_SEARCHES)) {
    chars += s.length + (out.length ? 1 : 0);
    if (chars > MAX_SEARCH_CHARS) break;
    out.push(s);
  }
  return out;
}

export function podDnsConfig(pod: Pod, hostResolvConf: string, kubelet: KubeletDns): DnsConfig {
  const host = parseResolvConf(hostResolvConf);
  let kind = policyKind(pod);
  if (kind === 'cluster' && !kubelet.clusterDNS.length) kind = 'host';
  const domain = kubelet.clusterDomain.replace(/\.$/, '');
  const base: DnsConfig = kind === 'none'
    ? { servers: [], searches: [], options: [] }
    : kind === 'host'
      ? host
      : {
          servers: kubelet.clusterDNS,
          searches: [...(domain ? [`${pod.metadata.namespace}.svc.${domain}`, `svc.${domain}`, domain] : []), ...host.searches],
          options: ['ndots:5'],
        };
  const extra = ((pod.spec as { dnsConfig?: PodDnsConfig }).dnsConfig ?? {}) as PodDnsConfig;
  return {
    servers: unique([...base.servers, ...(extra.nameservers ?? [])]),
    searches: trimSearches(unique([...base.searches, ...(extra.searches ?? [])])),
    options: mergeOptions(base.options, (extra.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name))),
  };
}
