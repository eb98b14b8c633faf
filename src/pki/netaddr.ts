/**
 * Addresses and names as kubeadm treats them: IP text ⇄ bytes (Go's net.IP rules, so SAN lists
 * print and deduplicate like kubeadm's), the n-th IP of a subnet, RFC 1123 names and host:port.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** 4 bytes for IPv4 (and IPv4-mapped IPv6, as Go encodes them in certificates), 16 for IPv6; undefined if not an IP. */
export function ipToBytes(text: string): Buffer | undefined {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!isIPv6(text)) return undefined;
  // An embedded dotted IPv4 tail (`::ffff:1.2.3.4`) becomes two hex groups first.
  const body = (text.split('%')[0] ?? text).replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const [head = '', rest] = body.split('::');
  const parseGroups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parseGroups(head);
  const right = parseGroups(rest ?? '');
  const groups = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  const mapped = out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? Buffer.from(out.subarray(12)) : out;
}

/** Go's net.IP.String(): dotted IPv4, RFC 5952 IPv6 (a single zero group is not compressed). */
export function formatIP(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The canonical text of an IP (as Go prints it), or undefined when `text` is not an IP. */
export function canonicalIP(text: string): string | undefined {
  const bytes = ipToBytes(text);
  return bytes && formatIP(bytes);
}

/** The `index`-th address of a CIDR (`10.96.0.0/12`, 1 → `10.96.0.1`), as kubeadm's GetIndexedIP. */
export function indexedIP(cidr: string, index: number): string | undefined {
  const [addr = '', prefixText] = cidr.trim().split('/');
  const bytes = ipToBytes(addr);
  const prefix = Number(prefixText);
  if (!bytes || prefixText === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) return undefined;
  const ip = Buffer.from(bytes);
  for (let bit = prefix; bit < ip.length * 8; bit++) ip[bit >> 3]! &= ~(0x80 >> (bit & 7));
  let carry = index;
  for (let i = ip.length - 1; i >= 0 && carry > 0; i--) {
    const sum = ip[i]! + carry;
    ip[i] = sum & 0xff;
    carry = sum >> 8;
  }
  return formatIP(ip);
}

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const WILDCARD_SUBDOMAIN = new RegExp(`^\\*\\.${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);

export function isDNS1123Subdomain(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

export function isWildcardDNS1123Subdomain(name: string): boolean {
  return name.length <= 253 && WILDCARD_SUBDOMAIN.test(name);
}

/** kubeadm's ParseHostPort: `host`, `host:port`, `[v6]:port`; host must be an IP or an RFC 1123 subdomain. */
export function parseHostPort(hostport: string): { host: string; port: string } | undefined {
  let host = hostport;
  let port = '';
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostport);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2] ?? '';
  } else if ((hostport.match(/:/g) ?? []).length === 1) {
    [host = '', port = ''] = hostport.split(':');
  }
  if (port !== '' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return undefined;
  if (ipToBytes(host) || isDNS1123Subdomain(host)) return { host, port };
  return undefined;
}

/** `host:port` with IPv6 hosts in brackets (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
