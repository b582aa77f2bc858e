import type { ConcurrencyLimit } from '../concurrency-limit.js';
import type { Store } from '../store/store.js';
import { contiguousFrames, encodeEphemeral, type EncodedEvent } from './frame.js';
import { ReplayCache } from './replay-cache.js';
import { ReplayPages } from './replay-pages.js';
import type { ResetReason, RoomCursor } from './room-cursor.js';
import type { CloseReason, Subscriber } from './subscriber.js';

/** A replay waits for the client to read once this much is queued for it (the socket's buffer is the queue). */
const REPLAY_LOW_WATER = 64 * 1024;

/** A page is written in runs of about this many bytes, each after the one before has drained to REPLAY_LOW_WATER. */
const REPLAY_RUN_BYTES = 256 * 1024;

/** Joined runs kept for the next stream that replays the same one (at most 256 KB each). */
const JOINED_RUNS = 32;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ReplayerOptions {
  /** Events per page. */
  pageSize: number;
  /** The replay cache's bounds: events kept per room, and bytes in all. */
  cacheEvents: number;
  cacheBytes: number;
  /** Bytes a subscriber may have queued (SSE_MAX_QUEUE_BYTES): a run of a page stays well within it. */
  maxQueueBytes: number;
  /** A stored event was written to the subscriber's stream (the hub's delivery receipt). */
  delivered: (sub: Subscriber, enc: EncodedEvent) => void;
  /** Ends a subscriber's following of a room (the hub's). */
  unfollow: (sub: Subscriber, roomId: string, reason: CloseReason) => void;
}

/**
 * Tells a stream it cannot be replayed from where it stands: it refetches the room and goes on from `cursor.seq`. The
 * reset's id is the stream's position now, unless the caller gives one.
 */
export function sendReset(
  sub: Subscriber,
  roomId: string,
  cursor: RoomCursor,
  reason: ResetReason,
  id = sub.cursorId(roomId),
): void {
  sub.write(encodeEphemeral('reset', { roomId, lastSeq: cursor.seq, reason }, id));
}

/**
 * Catches a replaying room cursor up: pages from the replay cache or the store (shared by cursors that need the same
 * one) until the cursor says it is live. The hub feeds the cache every committed event.
 */
export class Replayer {
  readonly cache: ReplayCache;
  private readonly pages: ReplayPages;
  /** Runs joined into one buffer, by their first event (the same objects as long as the run is the same copy). */
  private readonly joined = new Map<EncodedEvent, { last: EncodedEvent; frames: Buffer }>();
  /** A page is written in runs of at most this many bytes (one event at least), well within the subscriber's bound. */
  private readonly runBytes: number;

  constructor(
    private readonly store: Store,
    private readonly opts: ReplayerOptions,
  ) {
    this.runBytes = Math.min(REPLAY_RUN_BYTES, opts.maxQueueBytes >> 2);
    this.cache = new ReplayCache(opts.cacheEvents, opts.cacheBytes);
    this.pages = new ReplayPages(store, this.cache);
  }

  /** Take one when a cursor starts receiving a room's live events; pass it to `run` (see ReplayPages). */
  tick(): number {
    return this.pages.tick();
  }

  /**
   * Feeds a replaying cursor pages after its position (from the replay cache, else the store) until it is live. A
   * gap that remains (events seen live before the store showed their predecessors) is read again a little later,
   * and reset rather than waited for forever. `since`: the tick at which the cursor began receiving live events.
   * `head`: the room's head as the store showed it after that tick, when the caller read it; a cursor already there
   * has nothing to read (what was committed since reaches it live), so it goes straight to ready(). A web member's
   * stream follows each of their rooms, most of them quiet and so not in the replay cache: this spares a store read
   * per room (2.8 s of a 10,000-member connect storm's 44 s busy, each member in 11 rooms).
   */
  async run(
    sub: Subscriber,
    roomId: string,
    cursor: RoomCursor,
    since: number,
    limit?: ConcurrencyLimit,
    head?: number,
  ): Promise<void> {
    // Reads the store (or the cache) unless the cursor is at the head it was shown and the feed has brought nothing
    // after it (a read that lagged the feed, as a MongoDB primary just elected might, cannot hide an event that way:
    // a member's stream that starts following at the event of their joining is such a case). Every later pass reads.
    // The cache is asked only on that path: a resync replays every cursor, with no head.
    const readFirst = head !== cursor.seq || (this.cache.read(roomId, cursor.seq, 1)?.events.length ?? 0) > 0;
    for (let stalls = 0, read = readFirst; ; read = true) {
      if (read && !(await this.replayToHead(sub, roomId, cursor, since, limit))) return;
      const ready = cursor.ready();
      if (ready.state === 'closed') return;
      if (ready.state === 'live') {
        if (ready.membershipInDoubt) await this.recheckMembership(sub, roomId, cursor);
        return;
      }
      if (ready.state === 'gap') {
        if (++stalls > 50) {
          cursor.skipTo(ready.newest);
          sendReset(sub, roomId, cursor, 'gap');
          stalls = 0;
          continue;
        }
        await sleep(Math.min(20 * stalls, 200));
        if (cursor.closed) return;
      }
    }
  }

  /** Writes the pages after the cursor's position until the page at the room's head; false if the stream ended. */
  private async replayToHead(
    sub: Subscriber,
    roomId: string,
    cursor: RoomCursor,
    since: number,
    limit: ConcurrencyLimit | undefined,
  ): Promise<boolean> {
    let next = this.pages.after(roomId, cursor.seq, this.opts.pageSize, since, limit);
    for (;;) {
      const page = await next;
      if (cursor.closed) return false;
      // In runs, so a page of long messages (500 of them can be megabytes) never goes over the subscriber's bound,
      // which would cut it before anything was sent, every time it came back.
      for (let from = 0; from < page.events.length;) {
        let to = from + 1;
        for (let bytes = page.events[from]!.frame.length; to < page.events.length; to++) {
          bytes += page.events[to]!.frame.length;
          if (bytes > this.runBytes) break;
        }
        const run = from === 0 && to === page.events.length ? page.events : page.events.slice(from, to);
        // A room stream's run goes out as one shared buffer; a multi-room stream writes its own id per event.
        if (sub.mode !== 'room' || !cursor.replayedRun(run, (r) => this.writeRun(sub, r))) cursor.replayed(run);
        if (to === page.events.length && !page.atHead) {
          // The next page is read while the client reads this one, not after: the two overlap.
          next = this.pages.after(roomId, cursor.seq, this.opts.pageSize, since, limit);
          next.catch(() => undefined); // awaited below unless the stream ends first
        }
        await sub.drained(REPLAY_LOW_WATER);
        if (cursor.closed) return false;
        from = to;
      }
      if (page.atHead) return true;
    }
  }

  /**
   * Writes a run as one buffer. A run of one page read from the store is already one (a view of the page's bytes);
   * others (events the feed brought, encoded one by one) are joined once and kept, since streams resuming from the
   * same place (a reconnect storm) replay the same runs of the same cached events: no copy per stream.
   */
  private writeRun(sub: Subscriber, run: readonly EncodedEvent[]): void {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    let frames = contiguousFrames(run);
    if (!frames) {
      const hit = this.joined.get(first);
      if (hit && hit.last === last) frames = hit.frames;
      else {
        frames = Buffer.concat(run.map((e) => e.frame));
        this.joined.delete(first);
        this.joined.set(first, { last, frames });
        if (this.joined.size > JOINED_RUNS) this.joined.delete(this.joined.keys().next().value!);
      }
    }
    if (sub.write(frames)) this.opts.delivered(sub, last);
  }

  /** A replayed leave or deletion may have ended the membership (or been followed by a rejoin): ask the store. */
  private async recheckMembership(sub: Subscriber, roomId: string, cursor: RoomCursor): Promise<void> {
    const [room, membership] = await Promise.all([
      this.store.getRoom(roomId),
      this.store.getMembership(roomId, sub.userId),
    ]);
    if (!cursor.closed && (!room || !membership)) this.opts.unfollow(sub, roomId, room ? 'left' : 'deleted');
  }
}
