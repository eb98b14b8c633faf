/** IP address helpers (Go's net.IP semantics: IPv4-mapped IPv6 addresses equal their IPv4 form). */
import net from 'node:net';

/** The 16-byte form of an address (IPv4 as ::ffff:a.b.c.d), or undefined when it is not an IP. */
export function parseIP(text: string): Uint8Array | undefined {
  const family = net.isIP(text);
  if (family === 4) return v4Mapped(text.split('.').map(Number));
  if (family !== 6) return undefined;
  // a trailing dotted quad (::ffff:1.2.3.4) becomes two hex words
  const hex = text.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const words = (part: string) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const [left = '', right] = hex.split('::');
  const all = right === undefined
    ? words(left)
    : [...words(left), ...new Array<number>(8 - words(left).length - words(right).length).fill(0), ...words(right)];
  const bytes = new Uint8Array(16);
  all.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

function v4Mapped(octets: number[]): Uint8Array {
  return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...octets]);
}

function isV4Mapped(bytes: Uint8Array): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The canonical text of a 16-byte address: dotted quad for IPv4, compressed hex for IPv6. */
export function formatIP(bytes: Uint8Array): string {
  if (isV4Mapped(bytes)) return [...bytes.slice(12)].join('.');
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // compress the longest run of zero words (length ≥ 2), as RFC 5952 says
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

export function ipEqual(a: string, b: string): boolean {
  const x = parseIP(a);
  const y = parseIP(b);
  return x !== undefined && y !== undefined && x.every((byte, i) => byte === y[i]);
}

export function isIPv4(text: string): boolean {
  const bytes = parseIP(text);
  return bytes !== undefined && isV4Mapped(bytes);
}

export function isIPv6(text: string): boolean {
  const bytes = parseIP(text);
  return bytes !== undefined && !isV4Mapped(bytes);
}

export function isLoopback(text: string): boolean {
  const bytes = parseIP(text);
  if (!bytes) return false;
  if (isV4Mapped(bytes)) return bytes[12] === 127;
  return bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1;
}

export function isUnspecified(text: string): boolean {
  const bytes = parseIP(text);
  return bytes !== undefined && (bytes.every((b) => b === 0) || (isV4Mapped(bytes) && bytes.slice(12).every((b) => b === 0)));
}

export interface CIDR {
  /** The network address, 16 bytes. */
  network: Uint8Array;
  /** Prefix length counted on the 16-byte form (IPv4 /12 is 96 + 12). */
  bits: number;
  v4: boolean;
}

export function parseCIDR(text: string): CIDR | undefined {
  const [address, prefix, extra] = text.split('/');
  if (address === undefined || prefix === undefined || extra !== undefined || !/^\d+$/.test(prefix)) return undefined;
  const bytes = parseIP(address);
  if (!bytes) return undefined;
  const v4 = net.isIP(address) === 4;
  const length = Number(prefix);
  if (length > (v4 ? 32 : 128)) return undefined;
  const bits = v4 ? 96 + length : length;
  return { network: bytes.map((b, i) => b & maskByte(bits, i)), bits, v4 };
}

function maskByte(bits: number, index: number): number {
  const remaining = bits - index * 8;
  if (remaining >= 8) return 0xff;
  if (remaining <= 0) return 0;
  return (0xff << (8 - remaining)) & 0xff;
}

export function cidrContains(cidr: CIDR, ip: string): boolean {
  const bytes = parseIP(ip);
  return bytes !== undefined && bytes.every((b, i) => (b & maskByte(cidr.bits, i)) === cidr.network[i]);
}

/** The address at `index` inside the CIDR (Go's netutils.GetIndexedIP): 10.96.0.0/12, 1 → 10.96.0.1. */
export function indexedIP(cidr: CIDR, index: number): string {
  const bytes = Uint8Array.from(cidr.network);
  let carry = index;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const sum = bytes[i]! + carry;
    bytes[i] = sum & 0xff;
    carry = sum >> 8;
  }
  return formatIP(bytes);
}
