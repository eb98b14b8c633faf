/**
 * Minimal DER reading and writing for certificates and CSRs: the reader keeps exact byte
 * ranges (so signed parts are verified as sent), the writer builds TLVs. node-forge's pki API
 * cannot read ECDSA keys (the kubelet's default), so CSRs are walked at this level.
 */

export interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

export class DerError extends Error {}

export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated DER element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let length = buf[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || contentStart + bytes > limit) throw new DerError('bad DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buf[contentStart + i]!;
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('DER element runs past its container');
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

export const contentOf = (buf: Buffer, tlv: Tlv) => buf.subarray(tlv.contentStart, tlv.end);
export const rawOf = (buf: Buffer, tlv: Tlv) => buf.subarray(tlv.start, tlv.end);

/** Reads a whole DER document that must be one element. */
export function readRoot(buf: Buffer): Tlv {
  const root = readTlv(buf, 0);
  if (root.end !== buf.length) throw new DerError('trailing bytes after the DER element');
  return root;
}

export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    value = value * 128 + (content[i]! & 0x7f);
    if (!(content[i]! & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

// --- writer ---------------------------------------------------------------------------

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const sequence = (...parts: Buffer[]) => tlv(0x30, ...parts);
export const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
export const octetString = (data: Buffer) => tlv(0x04, data);
export const bitString = (data: Buffer, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), data);
export const booleanTrue = () => tlv(0x01, Buffer.from([0xff]));
export const nullValue = () => Buffer.from([0x05, 0x00]);
export const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
/** A context-specific tag: explicit wraps a whole element, implicit replaces the tag of primitive content. */
export const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);
export const implicit = (n: number, content: Buffer) => tlv(0x80 | n, content);

/** A non-negative INTEGER from big-endian bytes. */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const values = [parts[0]! * 40 + parts[1]!, ...parts.slice(2)];
  const bytes: number[] = [];
  for (const v of values) {
    const chunk = [v & 0x7f];
    for (let n = Math.floor(v / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits));
}
