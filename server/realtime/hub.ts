import type { FastifyBaseLogger } from 'fastify';
import type { PublicUser, RoomEvent, Store } from '../store/store.js';
import { encodeEphemeral, encodeEvent, HEARTBEAT, positionFrame, type EncodedEvent } from './frame.js';
import { ConcurrencyLimit } from '../concurrency-limit.js';
import { CursorBases } from './cursor-bases.js';
import { ExpiryClock } from './expiry-clock.js';
import { OpenGate } from './open-gate.js';
import { Presence } from './presence.js';
import { PresenceFanout } from './presence-fanout.js';
import { Receipts } from './receipts.js';
import { Replayer, sendReset } from './replayer.js';
import { RoomCursor } from './room-cursor.js';
import type { CursorBase } from './stream-cursor.js';
import { Subscriber, type CloseReason } from './subscriber.js';
import { WriteBatch } from './write-batch.js';

/** The last frame of a stream whose access token expired. */
const EXPIRED_NOTICE = encodeEphemeral('expired', { reason: 'access token expired; refresh and resume' });

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
  /** Presence changes in a room are collected this long and go out as one event. */
  presenceWindowMs?: number;
  /** Above this many members online, a room's presence events carry counts and watched people only. */
  presenceFullLimit?: number;
  /** Store reads a resync (after the feed reported a gap) may have in flight at once. */
  resyncConcurrency?: number;
  /** How long delivery receipts gather before they are written to the store in one batch (receipts.ts). */
  receiptBatchMs?: number;
  /** How long frames wait to be written together (SSE_FLUSH_MS); 0: at the end of the turn that wrote them. */
  flushMs?: number;
  /** The replay cache's bounds: events kept per room, and bytes in all. */
  replayCacheEvents?: number;
  replayCacheBytes?: number;
  /** Stream opens let through per event-loop turn (the rest wait for the next turns). */
  opensPerTurn?: number;
  log: FastifyBaseLogger;
}

/**
 * The SSE hub: routes committed events to the subscribers of their room, and runs the store reads each subscriber's
 * room cursor asks for. What to write, in which order and exactly once across resumes is the cursor's decision
 * (room-cursor.ts): the hub offers it live events and replayed pages, tells it when a replay is done, and acts on
 * its answer (read again, drop a subscriber that falls too far behind, send a reset).
 */
export class Hub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private readonly subscribers = new Set<Subscriber>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Ends streams whose credential expired. */
  private readonly expiry = new ExpiryClock<Subscriber>((sub) => {
    sub.expiryKey = null;
    sub.write(EXPIRED_NOTICE);
    sub.close('expired');
  });
  private unsubscribe: Array<() => void> = [];
  private readonly pageSize: number;
  private readonly maxBuffered: number;
  /** A reset touches every stream at once; its store reads queue here so requests are still served meanwhile. */
  private readonly resyncReads: ConcurrencyLimit;
  private readonly batch: WriteBatch;
  private readonly replayer: Replayer;
  /** Stream routes wait here before authenticating and opening (a reconnect storm goes through in batches). */
  readonly opens: OpenGate;
  readonly presence: Presence;
  readonly presenceFanout: PresenceFanout<Subscriber>;
  readonly receipts: Receipts;
  /** Where multi-room stream ids keep their bases. */
  readonly cursorBases: CursorBases;

  constructor(
    private readonly store: Store,
    private readonly opts: HubOptions,
  ) {
    this.pageSize = opts.replayPageSize ?? 500;
    this.maxBuffered = opts.maxBufferedEvents ?? 10_000;
    this.resyncReads = new ConcurrencyLimit(opts.resyncConcurrency ?? 8);
    this.batch = new WriteBatch(opts.flushMs ?? 0);
    this.replayer = new Replayer(store, {
      pageSize: this.pageSize,
      // A room's last 10,000 events (about 7 MB of frames): a client back from a long absence in a busy room is
      // still served from memory; REPLAY_CACHE_MB bounds all rooms together.
      cacheEvents: opts.replayCacheEvents ?? 10_000,
      cacheBytes: opts.replayCacheBytes ?? 64 << 20,
      maxQueueBytes: opts.maxQueueBytes,
      delivered: (sub, enc) => this.receipts.delivered(enc.event.roomId, sub.userId, enc.event.seq),
      unfollow: (sub, roomId, reason) => this.unfollow(sub, roomId, reason),
    });
    this.opens = new OpenGate(opts.opensPerTurn ?? 256);
    this.cursorBases = new CursorBases(store.cursorBases, {
      report: (err) => opts.log.warn({ err }, 'storing a stream id base failed'),
    });
    // This instance's streams decide whether it has a user in a room; the store's board combines every instance's
    // word and reports the changes, which reach the room's subscribers here coalesced per room (presence-fanout.ts).
    this.presence = new Presence(opts.presenceGraceMs ?? 5000, ({ roomId, user, online }) =>
      store.presence
        .set(roomId, user, online)
        .catch((err) => opts.log.error({ err, roomId }, 'recording presence failed')),
    );
    this.presenceFanout = new PresenceFanout<Subscriber>({
      windowMs: opts.presenceWindowMs ?? 1000,
      fullLimit: opts.presenceFullLimit ?? 200,
      online: (roomId) => this.resyncReads.run(() => store.presence.online(roomId)),
      targets: (roomId) => this.channels.get(roomId),
      report: (err, roomId) => opts.log.error({ err, roomId }, 'presence event failed'),
    });
    // Watermarks go out as signals, so a receipt recorded on one instance reaches subscribers on all of them.
    this.receipts = new Receipts(
      store,
      (roomId, marks) => store.signals.publish({ roomId, type: 'receipt', data: { roomId, ...marks } }),
      opts.log,
      opts.receiptBatchMs,
    );
  }

  start(): void {
    this.unsubscribe.push(this.store.feed.onEvent((event) => this.publish(event)));
    this.unsubscribe.push(this.store.feed.onReset(() => this.resync()));
    this.unsubscribe.push(
      this.store.presence.onChange(({ roomId, user, online }) => this.presenceFanout.changed(roomId, user.id, online)),
    );
    this.unsubscribe.push(
      this.store.signals.onSignal(({ roomId, type, data }) => {
        // A watch list is for the instance holding the user's streams in the room; streams never see it.
        if (type === 'presence.watch') return this.watchSignal(roomId, data);
        // A member's own settings (membership) go to that member's streams only.
        const owner = type === 'membership' ? (data.membership as { userId?: unknown } | undefined)?.userId : null;
        if (typeof owner === 'string')
          return this.broadcastEphemeral(roomId, type, data, (sub) => sub.userId !== owner);
        // A notice about a user (typing) is not sent back to that user.
        const about = (data.user as { id?: unknown } | undefined)?.id;
        this.broadcastEphemeral(
          roomId,
          type,
          data,
          typeof about === 'string' ? (sub) => sub.userId === about : undefined,
        );
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
    this.expiry.stop();
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const sub of [...this.subscribers]) sub.close('shutdown');
    this.presence.stop();
    this.presenceFanout.stop();
    await this.receipts.stop();
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Creates a subscriber for an SSE response whose headers and `retry:` line are already written. */
  createSubscriber(init: {
    socket: import('node:net').Socket;
    user: PublicUser;
    mode: 'room' | 'user';
    sessionId: string | null;
    apiTokenId?: string | null;
    /** A multi-room stream's: the base of the id it resumed from. */
    base?: CursorBase | null;
  }): Subscriber {
    const credential = { sessionId: init.sessionId, apiTokenId: init.apiTokenId ?? null };
    const { socket, user, mode } = init;
    const ids = { save: this.cursorBases.save.bind(this.cursorBases), base: init.base ?? null };
    const sub = new Subscriber(
      socket,
      user,
      mode,
      credential,
      this.opts.maxQueueBytes,
      this.batch,
      (s) => this.forget(s),
      ids,
    );
    this.subscribers.add(sub);
    this.batch.streamOpened(this.subscribers.size);
    let mine = this.byUser.get(sub.userId);
    if (!mine) this.byUser.set(sub.userId, (mine = new Set()));
    mine.add(sub);
    return sub;
  }

  /** Ends the stream (with an `expired` notice) when the credential that opened it expires at `atMs`. */
  expireAt(sub: Subscriber, atMs: number | null): void {
    if (atMs === null || sub.closed) return;
    if (sub.expiryKey !== null) this.expiry.cancel(sub, sub.expiryKey);
    sub.expiryKey = this.expiry.add(sub, atMs);
  }

  /** Streams of this user open on this instance. */
  streamsOf(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  /**
   * Starts a new stream at its positions (room id -> seq after which it delivers). Its first id line is that
   * position, so a client that drops before the first stored event resumes from there rather than from a later head.
   * Resolves once the stream is live in every room.
   */
  async open(
    sub: Subscriber,
    positions: ReadonlyArray<readonly [string, number, lost?: boolean]>,
    resumedFrom?: string,
  ): Promise<void> {
    const following = positions.map(([roomId, after]) => this.follow(sub, roomId, after));
    // Each cursor took its position as follow() began; nothing stored has been written yet. A room whose position
    // is no longer known (`lost`: its id's base expired) starts at the head the caller read, and the client is told
    // to refetch it. Those resets carry the id the client sent (`resumedFrom`): a client that drops before the
    // position frame below comes back with it and is reset again, and the resets stay small (each with the new id
    // of every room would grow with the square of the rooms: 1 MB for a user in 215 rooms, over the queue bound).
    for (const [roomId, , lost] of positions) {
      const cursor = sub.rooms.get(roomId);
      if (lost && cursor) sendReset(sub, roomId, cursor, 'too-old', resumedFrom);
    }
    sub.write(positionFrame(sub.cursorId()));
    await Promise.all(following);
  }

  /**
   * Starts delivering `roomId` to `sub` from `after` (exclusive): a resume position, or the room head the caller read
   * for a fresh stream. The cursor takes its position at once, so ids written meanwhile for other rooms include it.
   * Resolves once the subscriber is live in that room.
   */
  async follow(sub: Subscriber, roomId: string, after: number): Promise<void> {
    if (sub.closed || sub.rooms.has(roomId)) return;
    const cursor = new RoomCursor(after, (enc, fromHistory) => this.write(sub, enc, fromHistory), this.maxBuffered);
    sub.follow(roomId, cursor);
    let channel = this.channels.get(roomId);
    if (!channel) this.channels.set(roomId, (channel = new Set()));
    channel.add(sub);
    this.presenceFanout.joined(roomId, sub);
    // From here on the room's events reach the cursor live; pages read from now on may be shared with it.
    const since = this.replayer.tick();
    this.presence.enter(roomId, sub.user);
    try {
      const room = await this.store.getRoom(roomId);
      if (!room) return this.unfollow(sub, roomId, 'deleted');
      if (after > room.lastSeq || room.lastSeq - after > this.opts.replayLimit) {
        // Never silently skip: a position the store cannot replay (or that never existed) makes the client refetch.
        cursor.skipTo(room.lastSeq);
        sendReset(sub, roomId, cursor, after > room.lastSeq ? 'unknown-position' : 'too-old');
      } else if (after > 0) {
        // A client resuming from `after` (or starting at the head, having loaded history) has everything up to it.
        this.receipts.delivered(roomId, sub.userId, after);
      }
      // The room was read after the cursor began following: a cursor at its head has nothing to replay.
      await this.replayer.run(sub, roomId, cursor, since, undefined, room.lastSeq);
      // Where the room's receipts stand, so ticks are right from the start; updates follow as they move.
      const marks = await this.receipts.current(roomId);
      if (!cursor.closed) sub.write(encodeEphemeral('receipt', { roomId, ...marks }));
    } catch (err) {
      this.opts.log.error({ err, roomId }, 'stream replay failed');
      sub.close('error');
    }
  }

  /** Stops delivering a room to a subscriber; a single-room stream ends. */
  unfollow(sub: Subscriber, roomId: string, reason: CloseReason): void {
    const cursor = sub.unfollow(roomId);
    if (!cursor) return;
    cursor.close();
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
    for (const sub of [...this.subscribers]) if (sub.credential.sessionId === sessionId) sub.close('logout');
  }

  /** Ends every stream opened with this personal API token (the token was revoked). */
  closeApiToken(tokenId: string): void {
    for (const sub of [...this.subscribers]) if (sub.credential.apiTokenId === tokenId) sub.close('revoked');
  }

  /** Ends every stream of the user opened with a personal API token (their password changed). */
  closeApiTokenStreams(userId: string): void {
    for (const sub of [...(this.byUser.get(userId) ?? [])]) {
      if (sub.credential.apiTokenId !== null) sub.close('revoked');
    }
  }

  /** A committed event from the feed: encode once, hand the same bytes to every subscriber of its room. */
  publish(event: RoomEvent): void {
    const channel = this.channels.get(event.roomId);
    // Encoded even with no subscriber here: the replay cache must see every event to know its copy is complete.
    const enc = encodeEvent(event);
    this.replayer.cache.append(enc);
    if (channel) {
      // Delivering these may end subscriptions (and change the set); copy only then.
      const ends = event.type === 'member.left' || event.type === 'room.deleted';
      for (const sub of ends ? [...channel] : channel) this.deliver(sub, enc);
    }
    if (event.type === 'member.joined') {
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
    const outcome = cursor.live(enc);
    if (outcome === 'overflow') sub.close('slow');
    // A gap: read what is missing from the store before this one.
    else if (outcome === 'gap') this.startReplay(sub, roomId, cursor, 'stream gap fill failed');
  }

  /** What a cursor writes: a stored event, counted as delivered; after a live one, the stream may stop following. */
  private write(sub: Subscriber, enc: EncodedEvent, fromHistory: boolean): void {
    if (sub.send(enc)) this.receipts.delivered(enc.event.roomId, sub.userId, enc.event.seq);
    if (!fromHistory) this.applyLive(sub, enc.event);
  }

  /** After a live event reached a subscriber: a member who left or was removed, or a deleted room, stops here. */
  private applyLive(sub: Subscriber, event: RoomEvent): void {
    if (event.type === 'room.deleted') this.unfollow(sub, event.roomId, 'deleted');
    else if (event.type === 'member.left' && (event.payload.user as { id?: string } | undefined)?.id === sub.userId) {
      this.unfollow(sub, event.roomId, 'left');
    }
  }

  private startReplay(sub: Subscriber, roomId: string, cursor: RoomCursor, what: string, limit?: ConcurrencyLimit) {
    this.replayer.run(sub, roomId, cursor, this.replayer.tick(), limit).catch((err) => {
      this.opts.log.error({ err, roomId }, what);
      sub.close('error');
    });
  }

  /**
   * The feed may have missed events (and the presence board changes): every cursor reads the store again before it
   * is live (a replay under way reads once more), multi-room streams look for rooms their user joined meanwhile, and
   * the rooms followed here are told who is online now. The store reads are capped (`resyncConcurrency`).
   */
  resync(): void {
    this.replayer.cache.clear();
    const users = new Set<string>();
    for (const sub of this.subscribers) {
      if (sub.mode === 'user') users.add(sub.userId);
      for (const [roomId, cursor] of sub.rooms) {
        if (cursor.resync()) this.startReplay(sub, roomId, cursor, 'stream resync failed', this.resyncReads);
      }
    }
    for (const userId of users) {
      this.followJoinedRooms(userId).catch((err) => this.opts.log.error({ err }, 'stream resync of rooms failed'));
    }
    this.presenceFanout.resync();
  }

  /**
   * A multi-room stream learns of a new room from its live member.joined; after a gap it looks for rooms it missed.
   * It starts at the membership's delivered mark: the room head when the user joined (so the stream gets the join and
   * everything after it), or later if another stream of the user has already had those events.
   */
  private async followJoinedRooms(userId: string): Promise<void> {
    const rooms = await this.resyncReads.run(() => this.store.listRoomsOfUser(userId));
    for (const sub of this.byUser.get(userId) ?? []) {
      if (sub.mode !== 'user' || sub.closed) continue;
      for (const { room, membership } of rooms) {
        if (membership && !sub.rooms.has(room.id)) void this.follow(sub, room.id, membership.deliveredSeq);
      }
    }
  }

  /** A `presence.watch` signal: `userId` asks about `userIds` in the room (kept while they have a stream here). */
  private watchSignal(roomId: string, data: Record<string, unknown>): void {
    const { userId, userIds } = data;
    if (typeof userId !== 'string' || !Array.isArray(userIds) || !this.presence.has(roomId, userId)) return;
    this.presenceFanout.watch(
      roomId,
      userId,
      userIds.filter((id): id is string => typeof id === 'string'),
    );
  }

  private forget(sub: Subscriber): void {
    this.subscribers.delete(sub);
    if (sub.expiryKey !== null) this.expiry.cancel(sub, sub.expiryKey);
    const mine = this.byUser.get(sub.userId);
    mine?.delete(sub);
    if (mine?.size === 0) this.byUser.delete(sub.userId);
    for (const roomId of sub.rooms.keys()) this.leaveChannel(sub, roomId);
  }

  /** The subscriber no longer follows the room: out of its channel, and one stream fewer for presence. */
  private leaveChannel(sub: Subscriber, roomId: string): void {
    if (this.presence.exit(roomId, sub.userId)) this.presenceFanout.forgetUser(roomId, sub.userId);
    const channel = this.channels.get(roomId);
    channel?.delete(sub);
    if (channel?.size === 0) {
      this.channels.delete(roomId);
      this.presenceFanout.dropRoom(roomId);
    }
  }
}
