import type Database from 'better-sqlite3';
import { groupReceipts, type DeliveredReceipt as Receipt } from '../receipt-groups.js';
import type { Watermarks } from '../store.js';

/** The statements, exported so that a test can check their query plans (test/store/sqlite-receipts-plan.test.ts). */
export const RECEIPT_SQL = {
  // One statement for every member of a room who reached the same seq (after live fan-out that is all of them): a
  // primary-key seek per listed member (the unary + keeps the planner off the delivered_seq index, whose range would
  // walk every member behind, listed or not); the head is read once; a member already there is not written.
  markDelivered: `UPDATE memberships SET delivered_seq = min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId))
    WHERE room_id = @roomId AND user_id IN (SELECT value FROM json_each(@users))
      AND +delivered_seq < min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId))`,
  markRead: `UPDATE memberships SET
      read_seq = max(read_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId))),
      delivered_seq = max(delivered_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId)))
    WHERE room_id = @roomId AND user_id = @userId`,
  // Each minimum is the first entry of the room's range in its index (migration 11): ORDER BY ... LIMIT 1 keeps that
  // a seek (one min() per query would too, but two min()s in one SELECT scan every membership).
  watermarks: `SELECT
      (SELECT delivered_seq FROM memberships WHERE room_id = @roomId ORDER BY delivered_seq LIMIT 1) AS delivered,
      (SELECT read_seq FROM memberships WHERE room_id = @roomId ORDER BY read_seq LIMIT 1) AS read`,
} as const;

/** How far each member has got in a room (the watermarks on their membership). Both only move forward and never
 * past the room's lastSeq. */
export class SqliteReceipts {
  private readonly stmts;

  /**
   * @param membersPerTurn members whose delivery marks one transaction (one event-loop turn) writes. 1,000 keeps a
   * turn near 10 ms with its commit's fsync (a 10,000-member room's marks in one transaction held the thread for
   * 30-60 ms, and slices of 2,500 still made the longest turns of a 10,000-member reconnect storm); smaller slices
   * cost more in all, as each commit rewrites most of the same index pages (10,000 marks: 29 ms of CPU in one
   * transaction, 46 ms in slices of 2,500, 78 ms in slices of 1,000; `npx tsx scripts/bench/receipts.ts`). The hub
   * writes a big room's marks less often to make up for it (realtime/receipts.ts: every 5 s at 10,000 members).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly membersPerTurn = 1000,
  ) {
    this.stmts = {
      markDelivered: db.prepare<{ roomId: string; seq: number; users: string }>(RECEIPT_SQL.markDelivered),
      markRead: db.prepare<Receipt>(RECEIPT_SQL.markRead),
      watermarks: db.prepare<{ roomId: string }, { delivered: number | null; read: number | null }>(
        RECEIPT_SQL.watermarks,
      ),
    };
  }

  /**
   * Writes a batch in transactions of at most membersPerTurn members, yielding to the event loop between them: a
   * flush of several big rooms would otherwise hold the only thread for 30-50 ms per 10,000 members. Each update is
   * monotonic on its own, so the batch needs no single transaction.
   */
  async markDelivered(entries: Receipt[]): Promise<void> {
    const work: Array<{ roomId: string; seq: number; users: string[] }> = [];
    for (const [roomId, bySeq] of groupReceipts(entries)) {
      for (const [seq, users] of bySeq) {
        for (let i = 0; i < users.length; i += this.membersPerTurn) {
          work.push({ roomId, seq, users: users.slice(i, i + this.membersPerTurn) });
        }
      }
    }
    for (let next = 0; next < work.length;) {
      if (next > 0) await new Promise((resolve) => setImmediate(resolve));
      this.db.transaction(() => {
        for (let members = 0; next < work.length && members < this.membersPerTurn; next++) {
          const { roomId, seq, users } = work[next]!;
          this.stmts.markDelivered.run({ roomId, seq, users: JSON.stringify(users) });
          members += users.length;
        }
      })();
    }
  }

  /** Read implies delivered. */
  markRead(receipt: Receipt): void {
    this.stmts.markRead.run(receipt);
  }

  watermarks(roomId: string): Watermarks {
    const r = this.stmts.watermarks.get({ roomId })!;
    return { deliveredSeq: r.delivered ?? 0, readSeq: r.read ?? 0 };
  }
}
