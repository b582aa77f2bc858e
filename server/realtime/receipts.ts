import type { FastifyBaseLogger } from 'fastify';
import type { DeliveredReceipt } from '../store/receipt-groups.js';
import type { Store, Watermarks } from '../store/store.js';

/** Rooms whose watermarks and announcement times are kept; beyond, the least recently read are forgotten. */
const MAX_ROOMS = 50_000;

/**
 * A room's delivery marks are written every batch interval per this many members with marks waiting: a room of 10,000
 * live members is written every 5 s rather than every second. Writing a member's mark costs the store about 3-5 us
 * (an index entry moves), so a big room would otherwise spend 30-50 ms of every second on it, while its
 * delivered-to-all watermark (the minimum over thousands of members) barely moves.
 */
const MEMBERS_PER_INTERVAL = 2000;

const moved = (a: Watermarks, b: Watermarks) => a.deliveredSeq !== b.deliveredSeq || a.readSeq !== b.readSeq;

/**
 * Delivery and read receipts. The hub reports every stored event it writes to a member's stream; the highest seq
 * per (room, member) is written to the store in batches, then the room's watermarks (delivered-to-all,
 * read-by-all: minimums over its members) are recomputed and announced when they moved.
 */
export class Receipts {
  /** roomId -> userId -> highest seq written to one of the user's streams, not yet recorded. Nested maps: this is
   * called once per subscriber per event, so it avoids building a key string each time. */
  private pending = new Map<string, Map<string, number>>();
  /** The rooms' watermarks as last read, and when: what streams starting now are told (current()). Bounded. */
  private readonly last = new Map<string, { marks: Watermarks; at: number }>();
  /** A store read of a room's watermarks under way, shared by every caller of current() meanwhile. */
  private readonly reading = new Map<string, Promise<Watermarks>>();
  /** Announcements go to every subscriber of a room, so they are throttled: at most one per room per interval, the
   * latest values winning (a trailing announcement follows a burst). */
  private readonly announcedAt = new Map<string, number>();
  private readonly trailing = new Map<string, NodeJS.Timeout>();
  /** When each room's marks were last written (rooms with marks waiting only). */
  private readonly writtenAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly announce: (roomId: string, marks: Watermarks) => void,
    private readonly log: FastifyBaseLogger,
    private readonly batchMs = 1000,
    private readonly announceEveryMs = 1000,
  ) {}

  private throttledAnnounce(roomId: string): void {
    if (this.trailing.has(roomId)) return; // the pending one will carry the newest values
    const wait = (this.announcedAt.get(roomId) ?? 0) + this.announceEveryMs - Date.now();
    const fire = () => {
      this.trailing.delete(roomId);
      const marks = this.last.get(roomId)?.marks;
      if (!marks) return;
      this.announcedAt.set(roomId, Date.now());
      if (this.announcedAt.size > MAX_ROOMS) this.announcedAt.delete(this.announcedAt.keys().next().value!);
      this.announce(roomId, marks);
    };
    if (wait <= 0) return fire();
    const timer = setTimeout(fire, wait);
    timer.unref();
    this.trailing.set(roomId, timer);
  }

  /** A stored event of `roomId` with this seq was written to one of the member's streams. */
  delivered(roomId: string, userId: string, seq: number): void {
    let room = this.pending.get(roomId);
    if (!room) this.pending.set(roomId, (room = new Map()));
    if ((room.get(userId) ?? 0) < seq) room.set(userId, seq);
    if (!this.timer) this.arm();
  }

  private arm(): void {
    this.timer = setTimeout(() => void this.flushDue(), this.batchMs);
    this.timer.unref();
  }

  /** Records a read position (monotonic) and announces the room's watermarks if they moved. */
  async read(roomId: string, userId: string, seq: number) {
    const membership = await this.store.markRead(roomId, userId, seq);
    if (membership) await this.refresh(roomId);
    return membership;
  }

  /** Reads a room's watermarks from the store into the cache; returns them and the ones cached before. */
  private async load(roomId: string): Promise<{ marks: Watermarks; prev: Watermarks | undefined }> {
    const marks = await this.store.watermarks(roomId);
    const prev = this.last.get(roomId)?.marks;
    // Delete first so the map's order is that of the last read: the bound below drops the room read longest ago.
    this.last.delete(roomId);
    this.last.set(roomId, { marks, at: Date.now() });
    if (this.last.size > MAX_ROOMS) this.last.delete(this.last.keys().next().value!);
    return { marks, prev };
  }

  /** Recomputes a room's watermarks and announces them when they changed. */
  async refresh(roomId: string): Promise<Watermarks> {
    const { marks, prev } = await this.load(roomId);
    if (!prev || moved(prev, marks)) this.throttledAnnounce(roomId);
    return marks;
  }

  /**
   * A room's watermarks for a stream that starts following it. A reconnect storm starts thousands of those at once:
   * they share the marks read within the last batch window (flushes read them again as deliveries move them), or one
   * store read in flight, instead of a store read each. Changes made elsewhere (a member leaving, another instance)
   * show once the entry is a window old; until then a new stream may see marks a little behind, never ahead. A read
   * that finds them moved tells the room; a first read does not (each stream gets its own receipt line).
   */
  current(roomId: string): Promise<Watermarks> {
    const hit = this.last.get(roomId);
    if (hit && Date.now() - hit.at < Math.max(this.batchMs, this.announceEveryMs)) return Promise.resolve(hit.marks);
    let read = this.reading.get(roomId);
    if (!read) {
      read = this.load(roomId)
        .then(({ marks, prev }) => {
          if (prev && moved(prev, marks)) this.throttledAnnounce(roomId);
          return marks;
        })
        .finally(() => this.reading.delete(roomId));
      this.reading.set(roomId, read);
    }
    return read;
  }

  /** Writes every waiting mark now, or those of one room (a request that reads them from the store). */
  flush(roomId?: string): Promise<void> {
    return this.write((id) => roomId === undefined || id === roomId);
  }

  /** The timer: writes the rooms that are due, a batch interval after their last write, times one per
   * MEMBERS_PER_INTERVAL members waiting. */
  private flushDue(): Promise<void> {
    const now = Date.now();
    return this.write(
      (roomId, waiting) =>
        now - (this.writtenAt.get(roomId) ?? 0) >= this.batchMs * Math.ceil(waiting / MEMBERS_PER_INTERVAL),
    );
  }

  private write(due: (roomId: string, waiting: number) => boolean): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const batch: DeliveredReceipt[] = [];
    for (const [roomId, users] of this.pending) {
      if (!due(roomId, users.size)) continue;
      for (const [userId, seq] of users) batch.push({ roomId, userId, seq });
      this.pending.delete(roomId);
      this.writtenAt.set(roomId, now);
    }
    // A room written a while ago with nothing waiting since is due at once when marks come again.
    for (const [roomId, at] of this.writtenAt) {
      if (!this.pending.has(roomId) && now - at >= this.batchMs) this.writtenAt.delete(roomId);
    }
    if (this.pending.size > 0) this.arm();
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.store.markDelivered(batch);
        for (const roomId of new Set(batch.map((e) => e.roomId))) await this.refresh(roomId);
      } catch (err) {
        this.log.error({ err }, 'recording delivery receipts failed');
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    for (const timer of this.trailing.values()) clearTimeout(timer);
    this.trailing.clear();
    await this.flush();
  }
}
