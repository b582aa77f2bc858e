import type { FastifyBaseLogger } from 'fastify';
import type { PublicUser, RoomEvent, Store } from '../store/store.js';
import { encodeEphemeral, encodeEvent, HEARTBEAT, type EncodedEvent } from './frame.js';
import { Presence } from './presence.js';
import { Receipts } from './receipts.js';
import { Subscriber, type CloseReason, type RoomCursor } from './subscriber.js';

export interface HubOptions {
  heartbeatMs: number;
  /** Resume positions further than this behind the room head get `reset` instead of a replay. */
  replayLimit: number;
  /** Bytes a subscriber may have unsent before it is dropped. */
  maxQueueBytes: number;
  /** Events read from the store per page while replaying. */
  replayPageSize?: number;
  /** Live events a subscriber may hold while it replays; more and it is dropped (it resumes later). */
  maxBufferedEvents?: number;
  /** How long a user stays online after their last stream closed (a reconnect within it does not flap). */
  presenceGraceMs?: number;
  log: FastifyBaseLogger;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The SSE hub: fans committed events out to subscribers, per room, in seq order, exactly once across resumes.
 *
 * Each subscriber keeps a cursor per room (the last seq it was sent). A live event is written only when its seq is
 * cursor + 1: older ones are duplicates and are skipped; a newer one means a gap (events out of order, or a
 * subscriber that has just joined), and the subscriber then replays the missing range from the store while live
 * events wait in its buffer, which is flushed afterwards skipping what the replay already sent (invariants 2, 3).
 */
export class Hub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private readonly subscribers = new Set<Subscriber>();
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];
  private readonly pageSize: number;
  private readonly maxBuffered: number;
  readonly presence: Presence;
  readonly receipts: Receipts;

  constructor(
    private readonly store: Store,
    private readonly opts: HubOptions,
  ) {
    this.pageSize = opts.replayPageSize ?? 500;
    this.maxBuffered = opts.maxBufferedEvents ?? 10_000;
    // This instance's streams decide whether it has a user in a room; the store's board combines every instance's
    // word and reports the changes, which reach the room's subscribers here (never the user it is about).
    this.presence = new Presence(opts.presenceGraceMs ?? 5000, ({ roomId, user, online }) =>
      store.presence.set(roomId, user, online).catch((err) => opts.log.error({ err, roomId }, 'recording presence failed')),
    );
    // Watermarks go out as signals, so a receipt recorded on one instance reaches subscribers on all of them.
    this.receipts = new Receipts(store, (roomId, marks) => store.signals.publish({ roomId, type: 'receipt', data: { roomId, ...marks } }), opts.log);
  }

  start(): void {
    this.unsubscribe.push(this.store.feed.onEvent((event) => this.publish(event)));
    this.unsubscribe.push(this.store.feed.onReset(() => this.resync()));
    this.unsubscribe.push(
      this.store.presence.onChange(({ roomId, user, online }) =>
        this.broadcastEphemeral(roomId, 'presence', { roomId, user, online }, (sub) => sub.userId === user.id),
      ),
    );
    this.unsubscribe.push(
      this.store.signals.onSignal(({ roomId, type, data }) => {
        // A notice about a user (typing) is not sent back to that user.
        const about = (data.user as { id?: unknown } | undefined)?.id;
        this.broadcastEphemeral(roomId, type, data, typeof about === 'string' ? (sub) => sub.userId === about : undefined);
      }),
    );
    this.heartbeat = setInterval(() => {
      for (const sub of this.subscribers) sub.write(HEARTBEAT);
    }, this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Ends every stream (graceful shutdown) and records the last delivery receipts. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const sub of [...this.subscribers]) sub.close('shutdown');
    this.presence.stop();
    await this.receipts.stop();
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Creates a subscriber for an SSE response whose headers and `retry:` line are already written. */
  createSubscriber(init: { socket: import('node:net').Socket; user: PublicUser; mode: 'room' | 'user'; sessionId: string | null }): Subscriber {
    const sub = new Subscriber(init.socket, init.user, init.mode, init.sessionId, this.opts.maxQueueBytes, (s) => this.forget(s));
    this.subscribers.add(sub);
    let mine = this.byUser.get(sub.userId);
    if (!mine) this.byUser.set(sub.userId, (mine = new Set()));
    mine.add(sub);
    return sub;
  }

  /**
   * Starts delivering `roomId` to `sub` from `after` (exclusive): a resume position, or the room head the caller read
   * for a fresh stream. The cursor takes its position at once, so ids written meanwhile for other rooms include it.
   * Resolves once the subscriber is live in that room.
   */
  async follow(sub: Subscriber, roomId: string, after: number): Promise<void> {
    if (sub.closed || sub.rooms.has(roomId)) return;
    const cursor: RoomCursor = { seq: after, replaying: true, buffer: [], recheckMembership: false };
    sub.rooms.set(roomId, cursor);
    let channel = this.channels.get(roomId);
    if (!channel) this.channels.set(roomId, (channel = new Set()));
    channel.add(sub);
    this.presence.enter(roomId, sub.user);
    try {
      const room = await this.store.getRoom(roomId);
      if (!room) return this.unfollow(sub, roomId, 'deleted');
      if (after > room.lastSeq || room.lastSeq - after > this.opts.replayLimit) {
        // Never silently skip: a position the store cannot replay (or that never existed) makes the client refetch.
        cursor.seq = room.lastSeq;
        this.sendReset(sub, roomId, cursor, after > room.lastSeq ? 'unknown-position' : 'too-old');
      } else if (after > 0) {
        // A client resuming from `after` (or starting at the head, having loaded history) has everything up to it.
        this.receipts.delivered(roomId, sub.userId, after);
      }
      await this.catchUp(sub, roomId, cursor);
      // Where the room's receipts stand, so ticks are right from the start; updates follow as they move.
      const marks = await this.store.watermarks(roomId);
      if (sub.rooms.get(roomId) === cursor) sub.write(encodeEphemeral('receipt', { roomId, ...marks }));
    } catch (err) {
      this.opts.log.error({ err, roomId }, 'stream replay failed');
      sub.close('error');
    }
  }

  /** Stops delivering a room to a subscriber; a single-room stream ends. */
  unfollow(sub: Subscriber, roomId: string, reason: CloseReason): void {
    if (!sub.rooms.delete(roomId)) return;
    this.leaveChannel(sub, roomId);
    if (sub.mode === 'room') sub.close(reason);
  }

  /** Sends an ephemeral (id-less, unstored) event to the subscribers of a room. */
  broadcastEphemeral(roomId: string, type: string, data: unknown, except?: (sub: Subscriber) => boolean): void {
    const channel = this.channels.get(roomId);
    if (!channel) return;
    const frame = encodeEphemeral(type, data);
    for (const sub of channel) if (!except?.(sub)) sub.write(frame);
  }

  /** Ends every stream opened with this session (logout, revocation). */
  closeSession(sessionId: string): void {
    for (const sub of [...this.subscribers]) if (sub.sessionId === sessionId) sub.close('logout');
  }

  /** A committed event from the feed: encode once, hand the same bytes to every subscriber of its room. */
  publish(event: RoomEvent): void {
    const channel = this.channels.get(event.roomId);
    const enc = channel || event.type === 'member.joined' ? encodeEvent(event) : null;
    if (channel && enc) {
      // Delivering these may end subscriptions (and change the set); copy only then.
      const ends = event.type === 'member.left' || event.type === 'room.deleted';
      for (const sub of ends ? [...channel] : channel) this.deliver(sub, enc);
    }
    if (event.type === 'member.joined' && enc) {
      // A multi-room stream of the new member starts following the room from this event on.
      const user = event.payload.user as { id: string } | undefined;
      for (const sub of this.byUser.get(user?.id ?? '') ?? []) {
        if (sub.mode === 'user' && !sub.rooms.has(event.roomId)) void this.follow(sub, event.roomId, event.seq - 1);
      }
    }
  }

  private deliver(sub: Subscriber, enc: EncodedEvent): void {
    const roomId = enc.event.roomId;
    const cursor = sub.rooms.get(roomId);
    if (!cursor || sub.closed) return;
    if (cursor.replaying) {
      if (cursor.buffer.length >= this.maxBuffered) sub.close('slow');
      else cursor.buffer.push(enc);
      return;
    }
    const seq = enc.event.seq;
    if (seq <= cursor.seq) return; // already sent
    if (seq === cursor.seq + 1) {
      cursor.seq = seq;
      this.send(sub, enc);
      this.applyLive(sub, enc.event);
      return;
    }
    // A gap: fetch what is missing from the store before this one.
    cursor.replaying = true;
    cursor.buffer.push(enc);
    this.catchUp(sub, roomId, cursor).catch((err) => {
      this.opts.log.error({ err, roomId }, 'stream gap fill failed');
      sub.close('error');
    });
  }

  private send(sub: Subscriber, enc: EncodedEvent): void {
    if (sub.send(enc)) this.receipts.delivered(enc.event.roomId, sub.userId, enc.event.seq);
  }

  /** After a live event reached a subscriber: a member who left or was removed, or a deleted room, stops here. */
  private applyLive(sub: Subscriber, event: RoomEvent): void {
    if (event.type === 'room.deleted') this.unfollow(sub, event.roomId, 'deleted');
    else if (event.type === 'member.left' && (event.payload.user as { id?: string } | undefined)?.id === sub.userId) {
      this.unfollow(sub, event.roomId, 'left');
    }
  }

  /**
   * Replays from the store after cursor.seq, then flushes buffered live events in order, skipping duplicates. Loops
   * while a gap remains (an event seen live before the store showed its predecessors). Ends live.
   */
  private async catchUp(sub: Subscriber, roomId: string, cursor: RoomCursor): Promise<void> {
    const current = () => !sub.closed && sub.rooms.get(roomId) === cursor;
    for (let stalls = 0; ; ) {
      for (;;) {
        const events = await this.store.eventsAfter(roomId, cursor.seq, this.pageSize);
        if (!current()) return;
        for (const event of events) {
          if (event.seq !== cursor.seq + 1) break; // the store never has gaps; stop rather than skip
          cursor.seq = event.seq;
          this.send(sub, encodeEvent(event));
          if (event.type === 'room.deleted' || event.type === 'member.left') cursor.recheckMembership = true;
        }
        await sub.drained();
        if (!current()) return;
        if (events.length < this.pageSize) break;
      }
      const buffered = cursor.buffer.sort((a, b) => a.event.seq - b.event.seq);
      cursor.buffer = [];
      let gapAt = -1;
      for (let i = 0; i < buffered.length; i++) {
        const enc = buffered[i]!;
        if (enc.event.seq <= cursor.seq) continue;
        if (enc.event.seq !== cursor.seq + 1) {
          gapAt = i;
          break;
        }
        cursor.seq = enc.event.seq;
        this.send(sub, enc);
        this.applyLive(sub, enc.event);
        if (!current()) return;
      }
      if (gapAt === -1) {
        cursor.replaying = false;
        if (cursor.recheckMembership) {
          cursor.recheckMembership = false;
          const [room, membership] = await Promise.all([this.store.getRoom(roomId), this.store.getMembership(roomId, sub.userId)]);
          if (current() && (!room || !membership)) this.unfollow(sub, roomId, room ? 'left' : 'deleted');
        }
        return;
      }
      cursor.buffer.unshift(...buffered.slice(gapAt));
      // The store has not shown the missing events yet; give it a moment, and reset rather than wait forever.
      if (++stalls > 50) {
        const head = cursor.buffer[cursor.buffer.length - 1]!.event.seq;
        cursor.buffer = [];
        cursor.seq = head;
        this.sendReset(sub, roomId, cursor, 'gap');
        cursor.replaying = false;
        return;
      }
      await sleep(Math.min(20 * stalls, 200));
      if (!current()) return;
    }
  }

  private sendReset(sub: Subscriber, roomId: string, cursor: RoomCursor, reason: string): void {
    sub.write(encodeEphemeral('reset', { roomId, lastSeq: cursor.seq, reason }, sub.cursorId()));
  }

  /** The feed may have missed events: every subscriber re-reads its rooms from the store, so nothing is skipped. */
  resync(): void {
    for (const sub of this.subscribers) {
      for (const [roomId, cursor] of sub.rooms) {
        if (cursor.replaying) continue;
        cursor.replaying = true;
        this.catchUp(sub, roomId, cursor).catch((err) => {
          this.opts.log.error({ err, roomId }, 'stream resync failed');
          sub.close('error');
        });
      }
    }
  }

  private forget(sub: Subscriber): void {
    this.subscribers.delete(sub);
    const mine = this.byUser.get(sub.userId);
    mine?.delete(sub);
    if (mine?.size === 0) this.byUser.delete(sub.userId);
    for (const roomId of sub.rooms.keys()) this.leaveChannel(sub, roomId);
  }

  /** The subscriber no longer follows the room: out of its channel, and one stream fewer for presence. */
  private leaveChannel(sub: Subscriber, roomId: string): void {
    this.presence.exit(roomId, sub.userId);
    const channel = this.channels.get(roomId);
    channel?.delete(sub);
    if (channel?.size === 0) this.channels.delete(roomId);
  }
}
