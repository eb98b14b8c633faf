/**
 * Address helpers for validation and defaulting, matching k8s.io/utils/net and
 * k8s.io/apimachinery/pkg/util/validation: IP and CIDR parsing, subnet sizes, the n-th address of a
 * subnet (10.96.0.1 for the API service, 10.96.0.10 for DNS) and DNS-1123 names.
 */
import { isIP } from 'node:net';

export interface ParsedIP {
  family: 4 | 6;
  /** The address as an integer (32 or 128 bits). */
  value: bigint;
}

export interface ParsedCIDR extends ParsedIP {
  prefix: number;
  bits: 32 | 128;
}

/** Parses an IP the way netutils.ParseIPSloppy does (IPv4 octets may carry leading zeros). */
export function parseIP(text: string): ParsedIP | undefined {
  const sloppy = /^\d{1,3}(\.\d{1,3}){3}$/.test(text) ? text.split('.').map((o) => String(Number(o))).join('.') : text;
  const family = isIP(sloppy);
  if (family === 4) {
    return { family: 4, value: sloppy.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n) };
  }
  if (family === 6) return { family: 6, value: ipv6ToBigInt(sloppy) };
  return undefined;
}

function ipv6ToBigInt(text: string): bigint {
  let address = text.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4?.[1]) {
    const value = parseIP(v4[1])?.value ?? 0n;
    address = address.slice(0, -v4[1].length) + `${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export function isUnspecifiedIP(ip: ParsedIP): boolean {
  return ip.value === 0n;
}

/** Parses `10.96.0.0/12` or `fd00::/108`; the address is masked to the network, like net.ParseCIDR. */
export function parseCIDR(text: string): ParsedCIDR | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  const ip = parseIP(match[1]);
  if (!ip) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  const prefix = Number(match[2]);
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  const network = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, value: network, prefix, bits };
}

/** Comma-separated CIDRs (dual-stack); undefined when any of them does not parse. */
export function parseCIDRList(text: string): ParsedCIDR[] | undefined {
  const parsed = text.split(',').map((part) => parseCIDR(part));
  return parsed.every((c): c is ParsedCIDR => c !== undefined) ? parsed : undefined;
}

/** Number of addresses in the subnet. */
export function rangeSize(cidr: ParsedCIDR): bigint {
  return 1n << BigInt(cidr.bits - cidr.prefix);
}

/** The address `index` positions into the subnet (netutils.GetIndexedIP), or undefined past its end. */
export function indexedIP(cidr: ParsedCIDR, index: number): string | undefined {
  if (BigInt(index) >= rangeSize(cidr)) return undefined;
  return formatIP({ family: cidr.family, value: cidr.value + BigInt(index) });
}

export function formatCIDR(cidr: ParsedCIDR): string {
  return `${formatIP(cidr)}/${cidr.prefix}`;
}

export function formatIP(ip: ParsedIP): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => ((ip.value >> shift) & 0xffn).toString()).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((ip.value >> shift) & 0xffffn).toString(16));
  // Compress the longest run of two or more zero groups (RFC 5952).
  let best = { start: -1, length: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i += 1;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j += 1;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const WILDCARD_DNS1123_SUBDOMAIN = new RegExp(`^\\*\\.${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

/** validation.IsDNS1123Subdomain: the list of problems, empty when valid. */
export function dns1123SubdomainErrors(value: string): string[] {
  return nameErrors(value, DNS1123_SUBDOMAIN, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
}

/** validation.IsWildcardDNS1123Subdomain. */
export function wildcardDns1123SubdomainErrors(value: string): string[] {
  return nameErrors(value, WILDCARD_DNS1123_SUBDOMAIN, "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
}

function nameErrors(value: string, pattern: RegExp, formatError: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errors.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`);
  if (!pattern.test(value)) errors.push(formatError);
  return errors;
}

/**
 * kubeadmutil.ParseHostPort: `host`, `host:port`, `[v6]:port`; host an IP or a DNS-1123 subdomain,
 * port 1..65535. Returns undefined when invalid.
 */
export function parseHostPort(text: string): { host: string; port?: number } | undefined {
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed?.[1]) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [host = '', portText] = text.split(':');
  }
  if (portText !== undefined && parsePort(portText) === undefined) return undefined;
  if (parseIP(host) === undefined && dns1123SubdomainErrors(host).length > 0) return undefined;
  return portText === undefined ? { host } : { host, port: Number(portText) };
}

/** kubeadmutil.ParsePort: a decimal 1..65535. */
export function parsePort(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** net.SplitHostPort: requires `host:port` (brackets for IPv6); host may be empty. */
export function splitHostPort(text: string): { host: string; port: string } | { error: string } {
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ?? '' };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { error: `address ${text}: missing port in address` };
  const host = text.slice(0, colon);
  if (host.includes(':')) return { error: `address ${text}: too many colons in address` };
  return { host, port: text.slice(colon + 1) };
}
