import type Database from 'better-sqlite3';
import { storeErrors } from '../errors.js';
import type { PublicUser, ReactionSummary, ToggleResult } from '../store.js';
import type { Append } from './events.js';

interface ReactionRow {
  seq: number;
  emoji: string;
  user_id: string;
  /** How many users reacted to the message with this emoji. */
  n: number;
  /** 1 for the earliest user, 2 for the next... */
  rn: number;
  /** When the emoji was first used on the message (an event seq): the order of the emoji. */
  first: number;
}

/** Reactions: one row per (message, emoji, user); the message must be live to take or lose one. */
export class SqliteReactions {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      live: db.prepare<[string, number], { ok: number }>(
        `SELECT 1 AS ok FROM messages WHERE room_id = ? AND seq = ? AND deleted_at IS NULL`,
      ),
      has: db.prepare<[string, number, string, string], { ok: number }>(
        `SELECT 1 AS ok FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ? AND user_id = ?`,
      ),
      count: db.prepare<[string, number, string], { n: number }>(
        `SELECT count(*) AS n FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ?`,
      ),
      emoji: db.prepare<[string, number], { emoji: string }>(
        `SELECT DISTINCT emoji FROM reactions WHERE room_id = ? AND seq = ?`,
      ),
      insert: db.prepare<[string, number, string, string, number]>(
        `INSERT INTO reactions (room_id, seq, emoji, user_id, added_seq) VALUES (?, ?, ?, ?, ?)`,
      ),
      delete: db.prepare<[string, number, string, string]>(
        `DELETE FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ? AND user_id = ?`,
      ),
      deleteOfMessage: db.prepare<[string, number]>(`DELETE FROM reactions WHERE room_id = ? AND seq = ?`),
      // One query for a whole page, probing the primary key per seq; the window keeps each emoji's first users and the
      // viewer's own row, so a message with thousands of reactions returns a few rows.
      page: db.prepare<{ roomId: string; seqs: string; shown: number; viewer: string }, ReactionRow>(
        `SELECT seq, emoji, user_id, n, rn, first FROM (
           SELECT seq, emoji, user_id, added_seq,
                  count(*) OVER w AS n,
                  min(added_seq) OVER w AS first,
                  row_number() OVER (PARTITION BY seq, emoji ORDER BY added_seq) AS rn
           FROM reactions WHERE room_id = @roomId AND seq IN (SELECT value FROM json_each(@seqs))
           WINDOW w AS (PARTITION BY seq, emoji))
         WHERE rn <= @shown OR user_id = @viewer
         ORDER BY seq, first, rn`,
      ),
    };
  }

  private requireLive(roomId: string, seq: number): void {
    if (!this.stmts.live.get(roomId, seq)) throw storeErrors.messageNotFound();
  }

  add(append: Append, roomId: string, seq: number, emoji: string, user: PublicUser, maxEmoji: number): ToggleResult {
    this.requireLive(roomId, seq);
    if (this.stmts.has.get(roomId, seq, emoji, user.id)) return { event: null };
    const used = this.stmts.emoji.all(roomId, seq).map((r) => r.emoji);
    if (!used.includes(emoji) && used.length >= maxEmoji) throw storeErrors.tooManyReactions(maxEmoji);
    // The count after this change travels with the event, so a client applying it sets the count instead of adding
    // one to a page that may already include it (exact past the users a summary lists).
    const count = this.stmts.count.get(roomId, seq, emoji)!.n + 1;
    const event = append(roomId, 'reaction.added', user, { seq, emoji, userId: user.id, count });
    this.stmts.insert.run(roomId, seq, emoji, user.id, event.seq);
    return { event };
  }

  remove(append: Append, roomId: string, seq: number, emoji: string, user: PublicUser): ToggleResult {
    this.requireLive(roomId, seq);
    if (this.stmts.delete.run(roomId, seq, emoji, user.id).changes === 0) return { event: null };
    const count = this.stmts.count.get(roomId, seq, emoji)!.n;
    return { event: append(roomId, 'reaction.removed', user, { seq, emoji, userId: user.id, count }) };
  }

  /** Inside a message's delete: its reactions go with it (message.deleted says so; no event of their own). */
  removeOfMessage(roomId: string, seq: number): void {
    this.stmts.deleteOfMessage.run(roomId, seq);
  }

  list(roomId: string, seqs: number[], viewerId: string | null, shown: number): Map<number, ReactionSummary[]> {
    const out = new Map<number, ReactionSummary[]>();
    if (seqs.length === 0) return out;
    const rows = this.stmts.page.all({ roomId, seqs: JSON.stringify(seqs), shown, viewer: viewerId ?? '' });
    for (const r of rows) {
      let list = out.get(r.seq);
      if (!list) out.set(r.seq, (list = []));
      let summary = list[list.length - 1];
      if (summary?.emoji !== r.emoji) list.push((summary = { emoji: r.emoji, count: r.n, users: [], me: false }));
      if (r.rn <= shown) summary.users.push(r.user_id);
      if (r.user_id === viewerId) summary.me = true;
    }
    return out;
  }
}
