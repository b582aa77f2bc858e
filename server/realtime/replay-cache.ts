import type { EncodedEvent } from './frame.js';

/** Events whose commit rewrote earlier copies in the log (redaction): cached copies of those are stale. */
const REWRITES_LOG = new Set(['message.edited', 'message.deleted']);

/** A contiguous run of one room's log, oldest first; `start` skips events trimmed from the front. */
interface Tail {
  events: EncodedEvent[];
  start: number;
  bytes: number;
  /** Its newest event came from the feed and every later one the feed brought was appended: reaching its end means
   * reaching what this instance has seen committed. A tail built from a store page alone does not know that. */
  live: boolean;
}

/** What the cache holds after a position: the events, and whether they reach the newest event the feed brought. */
export interface CachedPage {
  events: EncodedEvent[];
  atHead: boolean;
}

/** See ReplayCache.version. */
export interface CacheVersion {
  readonly stale: number;
  readonly evicted: number;
}

const seqOf = (enc: EncodedEvent) => enc.event.seq;

/**
 * The recent past of each room, encoded once: the newest events the feed brought (and pages read for replays that
 * join up with them), so streams that resume at about the same place (a reconnect storm after a restart, a room's
 * members coming back from a network blip) are served from one copy instead of a store read and an encoding each.
 *
 * Bounded per room (`maxEventsPerRoom`) and in total (`maxBytes`, least recently used rooms go first; 0 turns it
 * off). A copy is dropped when an edit or delete redacts earlier copies in the log, so the cache never serves text the
 * log no longer has; `version` tells a store read that began before such a drop (or an eviction) not to add what it
 * read.
 */
export class ReplayCache {
  private readonly rooms = new Map<string, Tail>();
  private bytes = 0;
  /** Copies dropped as stale (redactions, a reset of the feed). */
  private stale = 0;
  /** Rooms dropped to stay within the bytes: an event the feed brought meanwhile may be gone with them. */
  private evicted = 0;

  constructor(
    private readonly maxEventsPerRoom: number,
    private readonly maxBytes: number,
  ) {}

  /** What `fill` must know of the cache as a store read began: take it before the read. */
  get version(): CacheVersion {
    return { stale: this.stale, evicted: this.evicted };
  }

  get size(): { rooms: number; bytes: number } {
    return { rooms: this.rooms.size, bytes: this.bytes };
  }

  /** A committed event from the feed, in the order the feed brings them. */
  append(enc: EncodedEvent): void {
    if (this.maxBytes === 0) return; // REPLAY_CACHE_MB=0: every replay reads the store
    const roomId = enc.event.roomId;
    if (REWRITES_LOG.has(enc.event.type) || enc.event.type === 'room.deleted') {
      this.drop(roomId);
      this.stale++;
      if (enc.event.type === 'room.deleted') return;
    }
    const tail = this.rooms.get(roomId);
    if (tail) {
      const last = seqOf(tail.events[tail.events.length - 1]!);
      if (enc.event.seq <= last) return; // already here
      if (enc.event.seq === last + 1) {
        tail.events.push(enc);
        tail.bytes += enc.frame.length;
        this.bytes += enc.frame.length;
        tail.live = true;
        this.touch(roomId, tail);
        return;
      }
      this.drop(roomId); // the feed skipped some: start again from this event
    }
    this.put(roomId, { events: [enc], start: 0, bytes: enc.frame.length, live: true });
  }

  /**
   * Up to `limit` events after `after`, or null when the cache does not hold the event right after it. `atHead`:
   * the events run up to the newest one the feed brought, so nothing later has been committed that a subscriber
   * already following the room would not receive live.
   */
  read(roomId: string, after: number, limit: number): CachedPage | null {
    const tail = this.rooms.get(roomId);
    if (!tail) return null;
    const first = seqOf(tail.events[tail.start]!);
    const last = seqOf(tail.events[tail.events.length - 1]!);
    if (after + 1 < first || after > last) return null;
    const from = tail.start + (after + 1 - first);
    const events = tail.events.slice(from, from + limit);
    this.touch(roomId, tail);
    return { events, atHead: tail.live && from + events.length === tail.events.length };
  }

  /**
   * A page the store returned for the events after some position (ascending, contiguous), read while the cache was
   * at `version`; `reachedHead`: it ended at the store's head when it was read (a short page). Kept when it joins up
   * with the room's cached run, or starts one, so the next reader of that stretch is served from memory.
   */
  fill(roomId: string, page: readonly EncodedEvent[], version: CacheVersion, reachedHead: boolean): void {
    if (version.stale !== this.stale || page.length === 0 || this.maxBytes === 0) return;
    const tail = this.rooms.get(roomId);
    if (!tail) {
      // Nothing of the room is cached, so the feed has brought nothing of it since the read began (it would be here)
      // unless it was evicted meanwhile: then the page's end is the head as this instance knows it.
      const live = reachedHead && version.evicted === this.evicted;
      const bytes = page.reduce((n, e) => n + e.frame.length, 0);
      this.put(roomId, { events: [...page], start: 0, bytes, live });
      return;
    }
    const first = seqOf(tail.events[tail.start]!);
    // Only what comes right before the cached run joins it; anything else would leave a hole.
    if (seqOf(page[0]!) >= first || seqOf(page[page.length - 1]!) + 1 < first) return;
    const older = page.filter((e) => seqOf(e) < first);
    const added = older.reduce((n, e) => n + e.frame.length, 0);
    tail.events = [...older, ...tail.events.slice(tail.start)];
    tail.start = 0;
    tail.bytes += added;
    this.bytes += added;
    this.touch(roomId, tail);
  }

  /** The feed may have lost events: nothing cached is known to be complete any more. */
  clear(): void {
    this.rooms.clear();
    this.bytes = 0;
    this.stale++;
  }

  private put(roomId: string, tail: Tail): void {
    this.rooms.set(roomId, tail);
    this.bytes += tail.bytes;
    this.touch(roomId, tail);
  }

  /** Marks the room recently used and enforces both bounds. */
  private touch(roomId: string, tail: Tail): void {
    this.rooms.delete(roomId);
    this.rooms.set(roomId, tail);
    while (tail.events.length - tail.start > this.maxEventsPerRoom) {
      const gone = tail.events[tail.start++]!;
      tail.bytes -= gone.frame.length;
      this.bytes -= gone.frame.length;
    }
    // Trimmed events are released in bulk, not one array shift per event.
    if (tail.start > 64 && tail.start * 2 > tail.events.length) {
      tail.events = tail.events.slice(tail.start);
      tail.start = 0;
    }
    for (const [oldest] of this.rooms) {
      if (this.bytes <= this.maxBytes || oldest === roomId) break;
      this.drop(oldest);
      this.evicted++;
    }
  }

  private drop(roomId: string): void {
    const tail = this.rooms.get(roomId);
    if (!tail) return;
    this.rooms.delete(roomId);
    this.bytes -= tail.bytes;
  }
}
