import type Database from 'better-sqlite3';
import { storeErrors } from '../errors.js';
import type { Message, Pin, PublicUser, ToggleResult } from '../store.js';
import type { Append } from './events.js';
import { publicUserColumns, toPublicUser, type PrefixedProfile } from './users.js';

interface PinRow extends PrefixedProfile<'p_'> {
  seq: number;
  pinned_at: string;
}

/** Pins: at most one per message; a room's list is short (bounded by the caller's maximum). */
export class SqlitePins {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly message: (roomId: string, seq: number) => Message | null,
  ) {
    this.stmts = {
      has: db.prepare<[string, number], { ok: number }>(`SELECT 1 AS ok FROM pins WHERE room_id = ? AND seq = ?`),
      count: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM pins WHERE room_id = ?`),
      insert: db.prepare<[string, number, string, string, number]>(
        `INSERT INTO pins (room_id, seq, pinned_by, pinned_at, pin_seq) VALUES (?, ?, ?, ?, ?)`,
      ),
      delete: db.prepare<[string, number]>(`DELETE FROM pins WHERE room_id = ? AND seq = ?`),
      list: db.prepare<[string], PinRow>(
        `SELECT p.seq, p.pinned_at, ${publicUserColumns('u', 'p_')}
         FROM pins p JOIN users u ON u.id = p.pinned_by WHERE p.room_id = ? ORDER BY p.pin_seq DESC`,
      ),
    };
  }

  private live(roomId: string, seq: number): Message {
    const message = this.message(roomId, seq);
    if (!message || message.deletedAt) throw storeErrors.messageNotFound();
    return message;
  }

  pin(append: Append, roomId: string, seq: number, actor: PublicUser, maxPins: number): ToggleResult {
    const message = this.live(roomId, seq);
    if (this.stmts.has.get(roomId, seq)) return { event: null };
    if (this.stmts.count.get(roomId)!.n >= maxPins) throw storeErrors.tooManyPins(maxPins);
    // The event carries the message, so an edit or a delete redacts this copy too.
    const event = append(roomId, 'message.pinned', actor, { seq, message });
    this.stmts.insert.run(roomId, seq, actor.id, event.at, event.seq);
    return { event };
  }

  unpin(append: Append, roomId: string, seq: number, actor: PublicUser): ToggleResult {
    this.live(roomId, seq);
    if (this.stmts.delete.run(roomId, seq).changes === 0) return { event: null };
    return { event: append(roomId, 'message.unpinned', actor, { seq }) };
  }

  /** Inside a message's delete: its pin goes with it (message.deleted says so; no event of its own). */
  removeOfMessage(roomId: string, seq: number): void {
    this.stmts.delete.run(roomId, seq);
  }

  list(roomId: string): Pin[] {
    const pins: Pin[] = [];
    for (const r of this.stmts.list.all(roomId)) {
      const message = this.message(roomId, r.seq);
      if (message) pins.push({ message, by: toPublicUser(r, 'p_'), at: r.pinned_at });
    }
    return pins;
  }
}
