import type { FastifyBaseLogger } from 'fastify';
import type { Store, Watermarks } from '../store/store.js';

/**
 * Delivery and read receipts. The hub reports every stored event it writes to a member's stream; the highest seq
 * per (room, member) is written to the store in batches, then the room's watermarks (delivered-to-all,
 * read-by-all: minimums over its members) are recomputed and announced when they moved.
 */
export class Receipts {
  /** roomId -> userId -> highest seq written to one of the user's streams, not yet recorded. Nested maps: this is
   * called once per subscriber per event, so it avoids building a key string each time. */
  private pending = new Map<string, Map<string, number>>();
  private readonly last = new Map<string, Watermarks>();
  /** Announcements go to every subscriber of a room, so they are throttled: at most one per room per interval, the
   * latest values winning (a trailing announcement follows a burst). */
  private readonly announcedAt = new Map<string, number>();
  private readonly trailing = new Map<string, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly announce: (roomId: string, marks: Watermarks) => void,
    private readonly log: FastifyBaseLogger,
    private readonly batchMs = 250,
    private readonly announceEveryMs = 1000,
  ) {}

  private throttledAnnounce(roomId: string): void {
    if (this.trailing.has(roomId)) return; // the pending one will carry the newest values
    const wait = (this.announcedAt.get(roomId) ?? 0) + this.announceEveryMs - Date.now();
    const fire = () => {
      this.trailing.delete(roomId);
      const marks = this.last.get(roomId);
      if (!marks) return;
      this.announcedAt.set(roomId, Date.now());
      if (this.announcedAt.size > 50_000) this.announcedAt.delete(this.announcedAt.keys().next().value!);
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
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.batchMs);
      this.timer.unref();
    }
  }

  /** Records a read position (monotonic) and announces the room's watermarks if they moved. */
  async read(roomId: string, userId: string, seq: number) {
    const membership = await this.store.markRead(roomId, userId, seq);
    if (membership) await this.refresh(roomId);
    return membership;
  }

  /** Recomputes a room's watermarks and announces them when they changed. */
  async refresh(roomId: string): Promise<Watermarks> {
    const marks = await this.store.watermarks(roomId);
    const prev = this.last.get(roomId);
    if (!prev || prev.deliveredSeq !== marks.deliveredSeq || prev.readSeq !== marks.readSeq) {
      this.last.set(roomId, marks);
      if (this.last.size > 50_000) this.last.delete(this.last.keys().next().value!);
      this.throttledAnnounce(roomId);
    }
    return marks;
  }

  flush(): Promise<void> {
    this.timer = undefined;
    const batch: Array<{ roomId: string; userId: string; seq: number }> = [];
    for (const [roomId, users] of this.pending) for (const [userId, seq] of users) batch.push({ roomId, userId, seq });
    this.pending = new Map();
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
