import type { Socket } from 'node:net';
import type { PublicUser } from '../store/store.js';
import type { EncodedEvent } from './frame.js';
import type { RoomCursor } from './room-cursor.js';
import type { CursorBase } from './stream-cursor.js';
import { StreamId, type SaveBase } from './stream-id.js';
import type { WriteBatch } from './write-batch.js';

export type StreamMode = 'room' | 'user';

export type CloseReason =
  'client' | 'slow' | 'expired' | 'left' | 'deleted' | 'logout' | 'revoked' | 'shutdown' | 'error';

/** The credential a stream was opened with: a login session's access token, or a personal API token. */
export interface StreamCredential {
  sessionId: string | null;
  apiTokenId: string | null;
}

/**
 * One open SSE stream. Frames are written straight to the connection's socket, the first being the response head
 * the route makes by hand (no chunked framing, `Connection: close`). Frames due in one event-loop turn wait in
 * `pending` and leave together in one system call at the turn's end (write-batch.ts): the shared frame buffers as
 * they are, never copied. The outgoing queue (pending plus the socket's write buffer) is bounded by `maxQueueBytes`:
 * a client that cannot keep up is disconnected and resumes from its last id.
 */
export class Subscriber {
  /** Where the stream stands in each room it follows (changed through follow() and unfollow()). */
  readonly rooms = new Map<string, RoomCursor>();
  /** A multi-room stream's id; null for a room stream, whose id is its room's seq. */
  private readonly streamId: StreamId | null;
  closed = false;
  /** When the stream opened (performance.now()): a storm holds back writes, but not a stream's first ones. */
  readonly openedAt = performance.now();
  /** The hub's expiry clock key while the credential's end is scheduled (hub.expireAt). */
  expiryKey: number | null = null;
  /** Frames written this turn, not yet handed to the socket. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  get userId(): string {
    return this.user.id;
  }

  constructor(
    readonly socket: Socket,
    readonly user: PublicUser,
    readonly mode: StreamMode,
    readonly credential: StreamCredential,
    private readonly maxQueueBytes: number,
    private readonly batch: WriteBatch,
    private readonly onClose: (sub: Subscriber) => void,
    /** A multi-room stream's: where its id's bases are stored, and the base it resumed from. */
    ids?: { save: SaveBase; base: CursorBase | null },
  ) {
    if (mode === 'user' && !ids) throw new Error('a multi-room stream needs where its ids keep their bases');
    this.streamId = mode === 'user' && ids ? new StreamId(this.rooms, ids.save, ids.base) : null;
    // `on`, not `once`: 'close' comes once anyway, and a once-wrapper is kept for the stream's whole life.
    const onEnd = () => this.close('client');
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  }

  /** Queues bytes for this turn's write; false once the stream is closed. Disconnects a subscriber over its bound. */
  write(chunk: Buffer): boolean {
    if (this.closed) return false;
    if (this.pending.length === 0) this.batch.add(this);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes + this.socket.writableLength > this.maxQueueBytes) {
      this.close('slow');
      return false;
    }
    return true;
  }

  /** Starts following a room at its cursor's position. */
  follow(roomId: string, cursor: RoomCursor): void {
    this.rooms.set(roomId, cursor);
    this.streamId?.moved(roomId);
  }

  /** Stops following a room; its cursor is the caller's to close. */
  unfollow(roomId: string): RoomCursor | undefined {
    const cursor = this.rooms.get(roomId);
    this.rooms.delete(roomId);
    this.streamId?.moved(roomId);
    return cursor;
  }

  /** Sends a stored event; its room cursor has already moved to its seq. */
  send(enc: EncodedEvent): boolean {
    if (this.mode === 'room') return this.write(enc.frame);
    // The id line is this subscriber's own; the rest is the shared bytes.
    return this.write(Buffer.from(`id: ${this.cursorId(enc.event.roomId)}\n`)) && this.write(enc.body);
  }

  /** Bytes queued and not yet taken by the kernel: this turn's frames and the socket's write buffer. */
  get queuedBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /**
   * Hands this turn's frames to the socket in one system call (called by the write batch at the end of the turn):
   * several go as one vectored write of the buffers as they are. Joining them copied each (a replayed run is a shared
   * buffer of up to 256 KB, copied once per stream: 7% of the server's busy time in a reconnect storm); a corked
   * write costs less even for two small frames (4.6-7.0 µs against 5.3-13.8 µs a socket, measured on loopback).
   */
  flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.closed || this.socket.destroyed) return;
    if (pending.length === 1) return void this.socket.write(pending[0]!);
    this.socket.cork();
    for (const chunk of pending) this.socket.write(chunk);
    this.socket.uncork();
  }

  /** The id a stream of this subscriber's mode would carry now; `moved`: the room whose position just moved. */
  cursorId(moved?: string): string {
    if (this.mode === 'room') {
      const first = this.rooms.values().next().value as RoomCursor | undefined;
      return String(first?.seq ?? 0);
    }
    const id = this.streamId!; // made for every multi-room stream
    if (moved !== undefined) id.moved(moved);
    return id.current();
  }

  /**
   * Resolves once at most `lowWater` bytes are queued (default: none), or the stream closed. This turn's frames are
   * handed to the socket first, so a replay waiting here lets them go out.
   */
  drained(lowWater = 0): Promise<void> {
    this.flush();
    if (this.closed || this.socket.writableLength <= lowWater || !this.socket.writableNeedDrain)
      return Promise.resolve();
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
    // A graceful end still delivers what this turn wrote (the `expired` notice, the last events).
    if (reason !== 'slow' && reason !== 'error') this.flush();
    this.closed = true;
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
