/**
 * SPDY/3.1 framing, the subset Kubernetes' streaming protocols use (moby/spdystream on the other
 * end: kubelet, containerd, CRI-O). Pure encoders and an incremental frame reader; the session
 * that uses them is spdy-session.ts.
 *
 * Control frame: 1 | version(15) | type(16) | flags(8) | length(24) | payload.
 * Data frame:    0 | stream id(31)          | flags(8) | length(24) | data.
 */

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** RST_STREAM status codes used here. */
export const RstStatus = { PROTOCOL_ERROR: 1, REFUSED_STREAM: 3, CANCEL: 5 } as const;

/** SPDY's length field is 24 bits: no frame is larger than this. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type SpdyFrame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; data: Buffer };

export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(`SPDY protocol error: ${message}`);
    this.name = 'SpdyProtocolError';
  }
}

function header(first: number, flags: number, length: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(first >>> 0, 0);
  head.writeUInt32BE((flags & 0xff) * 0x1000000 + length, 4);
  return head;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError(`control frame of ${payload.length} bytes`);
  return Buffer.concat([header((0x8000 | SPDY_VERSION) * 0x10000 + type, flags, payload.length), payload]);
}

/** Data frames for one write: split at SPDY's 24-bit length; a FIN goes on the last one. */
export function dataFrames(streamId: number, data: Buffer, fin: boolean): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  do {
    const chunk = data.subarray(offset, offset + MAX_FRAME_PAYLOAD);
    offset += chunk.length;
    const last = offset >= data.length;
    frames.push(header(streamId & 0x7fffffff, last && fin ? FLAG_FIN : 0, chunk.length), chunk);
  } while (offset < data.length);
  return frames;
}

/** The uncompressed name/value header block (SPDY/3: 32-bit counts and lengths, names lower case). */
export function headerBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** SYN_STREAM payload: stream id, no associated stream, priority 0, the compressed header block. */
export function synStreamPayload(streamId: number, compressedHeaders: Buffer): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  return Buffer.concat([head, compressedHeaders]);
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(streamId & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(FrameType.RST_STREAM, 0, payload);
}

export function goAwayFrame(lastGoodStreamId: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  return controlFrame(FrameType.GOAWAY, 0, payload);
}

/** The stream id a control frame is about (SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE). */
export function controlStreamId(frame: SpdyFrame & { control: true }): number {
  return frame.payload.length >= 4 ? frame.payload.readUInt32BE(0) & 0x7fffffff : 0;
}

/**
 * Splits a byte stream into frames. A control frame of another SPDY version is a protocol error
 * (thrown); a frame longer than `maxPayload` too, so a garbled or hostile peer cannot make the
 * reader buffer without bound.
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Buffer): SpdyFrame[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: SpdyFrame[] = [];
    for (;;) {
      if (this.buffered.length < 8) break;
      const first = this.buffered.readUInt32BE(0);
      const flags = this.buffered[4]!;
      const length = this.buffered.readUInt32BE(4) & 0xffffff;
      const control = (first & 0x80000000) !== 0;
      if (control && ((first >>> 16) & 0x7fff) !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported version ${(first >>> 16) & 0x7fff}`);
      if (length > this.maxPayload) throw new SpdyProtocolError(`frame of ${length} bytes exceeds ${this.maxPayload}`);
      if (this.buffered.length < 8 + length) break;
      const body = this.buffered.subarray(8, 8 + length);
      this.buffered = this.buffered.subarray(8 + length);
      frames.push(control ? { control: true, type: first & 0xffff, flags, payload: Buffer.from(body) } : { control: false, streamId: first & 0x7fffffff, flags, data: Buffer.from(body) });
    }
    return frames;
  }
}
