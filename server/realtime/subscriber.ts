import type { Socket } from 'node:net';
import type { PublicUser } from '../store/store.js';
import { encodeCursor, type EncodedEvent } from './frame.js';
import type { RoomCursor } from './room-cursor.js';

export type StreamMode = 'room' | 'user';

export type CloseReason =
  'client' | 'slow' | 'expired' | 'left' | 'deleted' | 'logout' | 'revoked' | 'shutdown' | 'error';

/** The credential a stream was opened with: a login session's access token, or a personal API token. */
export interface StreamCredential {
  sessionId: string | null;
  apiTokenId: string | null;
}

/**
 * One open SSE stream. Frames are written straight to the connection's socket (the response head was written by
 * the route, without chunked framing, `Connection: close`): the shared frame Buffer goes out as is, in one write,
 * with no per-subscriber encoding or corking. Its outgoing queue is the socket's write buffer, bounded by
 * `maxQueueBytes`: a client that cannot keep up is disconnected and resumes from its last id.
 */
export class Subscriber {
  /** Where the stream stands in each room it follows. */
  readonly rooms = new Map<string, RoomCursor>();
  closed = false;
  private expiryTimer: NodeJS.Timeout | undefined;

  get userId(): string {
    return this.user.id;
  }

  constructor(
    readonly socket: Socket,
    readonly user: PublicUser,
    readonly mode: StreamMode,
    readonly credential: StreamCredential,
    private readonly maxQueueBytes: number,
    private readonly onClose: (sub: Subscriber) => void,
  ) {
    socket.once('close', () => this.close('client'));
    socket.on('error', () => this.close('client'));
  }

  /** Ends the stream when the credential that opened it expires. */
  expireAt(ms: number | null, notice: Buffer): void {
    if (ms === null) return;
    const delay = Math.max(0, ms - Date.now());
    // setTimeout's maximum is about 24.8 days; longer-lived credentials are capped there and still end.
    this.expiryTimer = setTimeout(
      () => {
        this.write(notice);
        this.close('expired');
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.expiryTimer.unref();
  }

  /** Writes bytes; returns false when the socket asks to wait for 'drain'. Disconnects a subscriber over its bound. */
  write(chunk: Buffer): boolean {
    if (this.closed) return false;
    const ok = this.socket.write(chunk);
    if (!ok && this.socket.writableLength > this.maxQueueBytes) this.close('slow');
    return ok && !this.closed;
  }

  /** Sends a stored event; its room cursor has already moved to its seq. */
  send(enc: EncodedEvent): boolean {
    if (this.mode === 'room') return this.write(enc.frame);
    if (this.closed) return false;
    // The id line is this subscriber's own; the rest is the shared bytes. Corked, both leave in one system call.
    this.socket.cork();
    this.socket.write(`id: ${this.cursorId()}\n`);
    const ok = this.write(enc.body);
    this.socket.uncork();
    return ok;
  }

  /** The id a stream of this subscriber's mode would carry now. */
  cursorId(): string {
    if (this.mode === 'room') {
      const first = this.rooms.values().next().value as RoomCursor | undefined;
      return String(first?.seq ?? 0);
    }
    const positions: [string, number][] = [];
    for (const [roomId, cursor] of this.rooms) positions.push([roomId, cursor.seq]);
    return encodeCursor(positions);
  }

  /** Resolves once the socket has flushed what it holds, or the stream closed. */
  drained(): Promise<void> {
    if (this.closed || this.socket.writableLength === 0 || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    for (const cursor of this.rooms.values()) cursor.close();
    this.onClose(this);
    if (reason === 'slow') reset(this.socket);
    else if (reason === 'error') this.socket.destroy();
    else if (!this.socket.writableEnded) this.socket.end();
  }
}

/**
 * Drops a connection with a TCP reset. A slow reader's unsent bytes would otherwise stay in the kernel (FIN-WAIT-1)
 * for as long as the peer keeps silent after a FIN.
 */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // Not a TCP socket (a pipe): an ordinary destroy is all there is.
    socket.destroy();
  }
}
