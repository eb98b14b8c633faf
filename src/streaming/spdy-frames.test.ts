import { describe, expect, it } from 'vitest';
import { FLAG_FIN, FrameReader, FrameType, MAX_FRAME_PAYLOAD, SpdyProtocolError, controlFrame, controlStreamId, dataFrames, headerBlock, rstStreamFrame, synStreamPayload } from './spdy-frames.js';

describe('SPDY/3.1 frames', () => {
  it('encodes a control frame with the control bit, version 3, type, flags and 24-bit length', () => {
    const frame = controlFrame(FrameType.PING, 0, Buffer.from([0, 0, 0, 2]));
    expect([...frame]).toEqual([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 2]);
  });

  it('encodes a data frame with the stream id and FIN', () => {
    const [head, body] = dataFrames(5, Buffer.from('hi'), true);
    expect([...head!]).toEqual([0, 0, 0, 5, FLAG_FIN, 0, 0, 2]);
    expect(body!.toString()).toBe('hi');
  });

  it('splits a write larger than a frame can carry, FIN only on the last', () => {
    const frames = dataFrames(1, Buffer.alloc(MAX_FRAME_PAYLOAD + 10), true);
    const parsed = new FrameReader().push(Buffer.concat(frames));
    expect(parsed.map((f) => [f.flags, (f as { data: Buffer }).data.length])).toEqual([[0, MAX_FRAME_PAYLOAD], [FLAG_FIN, 10]]);
  });

  it('writes header blocks as counted name/value pairs with lower-case names', () => {
    const block = headerBlock({ StreamType: 'stdout' });
    expect(block.readUInt32BE(0)).toBe(1);
    expect(block.subarray(8, 18).toString()).toBe('streamtype');
    expect(block.subarray(22).toString()).toBe('stdout');
  });

  it('reads frames split across chunks in any way, in order', () => {
    const bytes = Buffer.concat([controlFrame(FrameType.SYN_REPLY, 0, synStreamPayload(3, Buffer.alloc(0)).subarray(0, 4)), ...dataFrames(3, Buffer.from('abc'), false), rstStreamFrame(3, 5)]);
    for (const size of [1, 3, 7, bytes.length]) {
      const reader = new FrameReader();
      const frames = [];
      for (let i = 0; i < bytes.length; i += size) frames.push(...reader.push(bytes.subarray(i, i + size)));
      expect(frames.map((f) => (f.control ? `c${f.type}:${controlStreamId(f)}` : `d${f.streamId}:${f.data.toString()}`))).toEqual(['c2:3', 'd3:abc', 'c3:3']);
    }
  });

  it('rejects another SPDY version and a frame above the limit instead of buffering it', () => {
    const v2 = controlFrame(FrameType.PING, 0, Buffer.alloc(4));
    v2.writeUInt16BE(0x8002, 0);
    expect(() => new FrameReader().push(v2)).toThrow(SpdyProtocolError);
    const huge = Buffer.from([0, 0, 0, 1, 0, 0x10, 0, 0]);
    expect(() => new FrameReader(1024).push(huge)).toThrow(/exceeds 1024/);
  });
});
