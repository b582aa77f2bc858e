import type Database from 'better-sqlite3';
import type { Watermarks } from '../store.js';

interface Receipt {
  roomId: string;
  userId: string;
  seq: number;
}

/** How far each member has got in a room (the watermarks on their membership). Both only move forward and never
 * past the room's lastSeq. */
export class SqliteReceipts {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      markDelivered: db.prepare<Receipt>(
        `UPDATE memberships
         SET delivered_seq = max(delivered_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId)))
         WHERE room_id = @roomId AND user_id = @userId`,
      ),
      markRead: db.prepare<Receipt>(
        `UPDATE memberships SET
           read_seq = max(read_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId))),
           delivered_seq = max(delivered_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId)))
         WHERE room_id = @roomId AND user_id = @userId`,
      ),
      watermarks: db.prepare<[string], { delivered: number | null; read: number | null }>(
        `SELECT min(delivered_seq) AS delivered, min(read_seq) AS read FROM memberships WHERE room_id = ?`,
      ),
    };
  }

  markDelivered(entries: Receipt[]): void {
    this.db.transaction(() => {
      for (const e of entries) this.stmts.markDelivered.run(e);
    })();
  }

  /** Read implies delivered. */
  markRead(receipt: Receipt): void {
    this.stmts.markRead.run(receipt);
  }

  watermarks(roomId: string): Watermarks {
    const r = this.stmts.watermarks.get(roomId)!;
    return { deliveredSeq: r.delivered ?? 0, readSeq: r.read ?? 0 };
  }
}
