/**
 * The server side of SPDY/3.1 as spdystream (kubelet, containerd) behaves, for unit tests: accepts
 * each SYN_STREAM with a SYN_REPLY, decodes its headers (zlib, one stream per session), hands the
 * stream's data and FIN to the test, and lets it write data and half-close.
 */
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { FLAG_FIN, FrameReader, FrameType, controlFrame, controlStreamId, dataFrames, headerBlock } from '../../src/streaming/spdy-frames.js';

export interface ServerStream {
  id: number;
  headers: Record<string, string>;
  data: Buffer[];
  finished: boolean;
  write(data: string | Buffer): void;
  end(): void;
}

function parseHeaderBlock(block: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 4;
  for (let i = 0; i < block.readUInt32BE(0); i++) {
    const nl = block.readUInt32BE(at);
    const name = block.subarray(at + 4, at + 4 + nl).toString();
    at += 4 + nl;
    const vl = block.readUInt32BE(at);
    out[name] = block.subarray(at + 4, at + 4 + vl).toString();
    at += 4 + vl;
  }
  return out;
}

export function spdyServer(socket: Duplex, onStream: (stream: ServerStream) => void): { streams: ServerStream[]; frames: number[] } {
  const reader = new FrameReader();
  const inflate = zlib.createInflate();
  const deflate = zlib.createDeflate();
  const streams: ServerStream[] = [];
  const frames: number[] = [];
  let queue = Promise.resolve();
  const inflateBlock = (compressed: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      inflate.on('data', onData);
      inflate.write(compressed);
      inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        inflate.off('data', onData);
        resolve(Buffer.concat(chunks));
      });
    });
  const deflateBlock = (block: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      deflate.on('data', onData);
      deflate.write(block);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        deflate.off('data', onData);
        resolve(Buffer.concat(chunks));
      });
    });
  socket.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      queue = queue.then(async () => {
        if (frame.control) {
          frames.push(frame.type);
          if (frame.type !== FrameType.SYN_STREAM) return;
          const id = controlStreamId(frame);
          const headers = parseHeaderBlock(await inflateBlock(frame.payload.subarray(10)));
          const stream: ServerStream = {
            id, headers, data: [], finished: false,
            write: (data) => void socket.write(Buffer.concat(dataFrames(id, Buffer.from(data), false))),
            end: () => void socket.write(Buffer.concat(dataFrames(id, Buffer.alloc(0), true))),
          };
          streams.push(stream);
          const reply = Buffer.alloc(4);
          reply.writeUInt32BE(id);
          socket.write(controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([reply, await deflateBlock(headerBlock({}))])));
          onStream(stream);
          return;
        }
        const stream = streams.find((s) => s.id === frame.streamId);
        if (!stream) return;
        if (frame.data.length) stream.data.push(frame.data);
        if (frame.flags & FLAG_FIN) stream.finished = true;
      });
    }
  });
  return { streams, frames };
}
