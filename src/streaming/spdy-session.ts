/**
 * The client side of a SPDY/3.1 session over an upgraded connection, as client-go's
 * httpstream/spdy uses it for remote commands: open streams with headers (`streamtype: stdout`…),
 * wait for each SYN_REPLY, write data, half-close with FIN. Pings from the server are answered;
 * flow control is not enforced, as spdystream (the only peer: kubelet, containerd) neither sends
 * nor honours WINDOW_UPDATE.
 *
 * Header blocks are zlib-compressed in one stream per direction. The SPDY/3 spec names a preset
 * dictionary as a compression aid; a zlib stream whose header says it uses none (FDICT unset) is
 * valid for readers that have one (Go's zlib.NewReaderDict accepts it), so we send without.
 * The server's header blocks (SYN_REPLY) carry nothing a remote command needs and are not decoded.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import {
  FLAG_FIN, FrameReader, FrameType, RstStatus, SpdyProtocolError, controlFrame, controlStreamId, dataFrames, goAwayFrame, headerBlock, rstStreamFrame, synStreamPayload,
  type SpdyFrame,
} from './spdy-frames.js';

/** One header-block compressor per session: every block continues the same zlib stream. */
class HeaderCompressor {
  private readonly deflate = zlib.createDeflate();
  private chain: Promise<unknown> = Promise.resolve();

  compress(block: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const onData = (c: Buffer) => chunks.push(c);
          // A session closed mid-compression never flushes: the open fails instead of hanging.
          const onClose = () => reject(new Error('the SPDY session is closed'));
          this.deflate.on('data', onData);
          this.deflate.once('error', reject);
          this.deflate.once('close', onClose);
          this.deflate.write(block);
          this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.deflate.off('data', onData);
            this.deflate.off('error', reject);
            this.deflate.off('close', onClose);
            resolve(Buffer.concat(chunks));
          });
        }),
    );
    this.chain = next.catch(() => {});
    return next;
  }

  close(): void {
    this.deflate.close();
  }
}

export class SpdyStream extends EventEmitter {
  private localClosed = false;
  remoteClosed = false;

  constructor(
    readonly id: number,
    private readonly session: SpdyClientSession,
  ) {
    super();
  }

  write(data: Buffer): void {
    if (this.localClosed || data.length === 0) return;
    this.session.send(...dataFrames(this.id, data, false));
  }

  /** Half-closes the stream (an empty DATA frame with FIN): the peer reads EOF. */
  end(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.session.send(...dataFrames(this.id, Buffer.alloc(0), true));
  }
}

/** Events: `close` (err when the session failed). Streams emit `data`, `end`, `reset`. */
export class SpdyClientSession extends EventEmitter {
  private readonly reader: FrameReader;
  private readonly compressor = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pending = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private opening: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    options: { head?: Buffer; maxFramePayload?: number } = {},
  ) {
    super();
    this.reader = new FrameReader(options.maxFramePayload);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.close(err));
    socket.on('close', () => this.close());
    if (options.head?.length) queueMicrotask(() => this.receive(options.head!));
    // requestUpgrade() leaves the upgraded socket paused for its new owner.
    socket.resume();
  }

  send(...buffers: Buffer[]): void {
    if (this.closed) return;
    for (const b of buffers) this.socket.write(b);
  }

  /** Opens a stream and resolves once the server replied (spdystream drops data sent before that). */
  openStream(headers: Record<string, string>): Promise<SpdyStream> {
    const opened = this.opening.then(async () => {
      if (this.closed) throw new Error('the SPDY session is closed');
      // Stream ids must increase in the order SYN_STREAMs go out: assign and send in one queue.
      const id = this.nextId;
      this.nextId += 2;
      const compressed = await this.compressor.compress(headerBlock(headers));
      if (this.closed) throw new Error('the SPDY session is closed');
      const stream = new SpdyStream(id, this);
      this.streams.set(id, stream);
      const replied = new Promise<SpdyStream>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      this.send(controlFrame(FrameType.SYN_STREAM, 0, synStreamPayload(id, compressed)));
      return { replied };
    });
    this.opening = opened.catch(() => {});
    return opened.then(({ replied }) => replied);
  }

  /** Stops reading from the peer (a slow consumer downstream); resume() reads again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  close(err?: Error): void {
    if (this.closed) return;
    if (!err && !this.socket.destroyed) this.socket.write(goAwayFrame(0));
    this.closed = true;
    this.compressor.close();
    for (const { reject } of this.pending.values()) reject(err ?? new Error('the SPDY session closed before the stream was accepted'));
    this.pending.clear();
    for (const stream of this.streams.values()) {
      if (!stream.remoteClosed) {
        stream.remoteClosed = true;
        stream.emit('end');
      }
    }
    this.streams.clear();
    this.socket.destroy();
    this.emit('close', err);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: SpdyFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.close(err as Error);
      return;
    }
    for (const frame of frames) this.handle(frame);
  }

  private handle(frame: SpdyFrame): void {
    if (!frame.control) {
      const stream = this.streams.get(frame.streamId);
      if (!stream || stream.remoteClosed) return;
      if (frame.data.length) stream.emit('data', frame.data);
      if (frame.flags & FLAG_FIN) this.finish(stream);
      return;
    }
    const id = controlStreamId(frame);
    switch (frame.type) {
      case FrameType.SYN_REPLY: {
        const waiting = this.pending.get(id);
        const stream = this.streams.get(id);
        this.pending.delete(id);
        if (waiting && stream) waiting.resolve(stream);
        if (stream && frame.flags & FLAG_FIN) this.finish(stream);
        return;
      }
      case FrameType.RST_STREAM: {
        const stream = this.streams.get(id);
        this.pending.get(id)?.reject(new SpdyProtocolError(`stream ${id} was reset (status ${frame.payload.length >= 8 ? frame.payload.readUInt32BE(4) : '?'})`));
        this.pending.delete(id);
        if (stream) {
          this.streams.delete(id);
          stream.remoteClosed = true;
          stream.emit('reset');
          stream.emit('end');
        }
        return;
      }
      case FrameType.SYN_STREAM:
        // Remote commands never have the server open streams.
        this.send(rstStreamFrame(id, RstStatus.REFUSED_STREAM));
        return;
      case FrameType.PING:
        // Server pings have even ids; ours would be odd (we send none).
        if (frame.payload.length === 4 && frame.payload.readUInt32BE(0) % 2 === 0) this.send(controlFrame(FrameType.PING, 0, frame.payload));
        return;
      case FrameType.GOAWAY:
        this.close();
        return;
      default:
        // SETTINGS, HEADERS, WINDOW_UPDATE: nothing a remote command needs.
        return;
    }
  }

  private finish(stream: SpdyStream): void {
    stream.remoteClosed = true;
    stream.emit('end');
  }
}
