import type Database from 'better-sqlite3';
import type { Message, PublicUser, ReplyRef, RoomEvent } from '../store.js';
import { THREAD_PARTICIPANTS, excerptOf, replyRefOf, threadSummary } from '../threads.js';
import type { Append } from './events.js';
import { publicUserColumns, toPublicUser, type PrefixedProfile } from './users.js';

/**
 * Threads: each root message row keeps its summary (replies, last reply, participant ids), recomputed from its live
 * replies in the same commit as every change to them, so history pages read it without aggregating.
 */
export class SqliteThreads {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      counts: db.prepare<[string, number], { n: number; last: string | null }>(
        `SELECT COUNT(*) AS n, MAX(created_at) AS last FROM messages
         WHERE room_id = ? AND thread_seq = ? AND deleted_at IS NULL`,
      ),
      participants: db.prepare<[string, number, number], { author_id: string }>(
        `SELECT author_id FROM messages WHERE room_id = ? AND thread_seq = ? AND deleted_at IS NULL
         GROUP BY author_id ORDER BY MAX(seq) DESC LIMIT ?`,
      ),
      save: db.prepare<[number, string | null, string, string, number]>(
        `UPDATE messages SET thread_replies = ?, thread_last_reply_at = ?, thread_participants = ?
         WHERE room_id = ? AND seq = ?`,
      ),
      profile: db.prepare<[string], PrefixedProfile<''>>(
        `SELECT ${publicUserColumns('u', '')} FROM users u WHERE id = ?`,
      ),
      parent: db.prepare<[string, number], PrefixedProfile<''> & { text: string | null; deleted_at: string | null }>(
        `SELECT p.text, p.deleted_at, ${publicUserColumns('u', '')}
         FROM messages p JOIN users u ON u.id = p.author_id WHERE p.room_id = ? AND p.seq = ?`,
      ),
      // The stored copies of every reply to `parent` (their message.created, .edited, .deleted events).
      redactExcerpts: db.prepare<[string, string | null, string, string, number]>(
        `UPDATE room_events SET data = json_set(data,
           '$.payload.message.replyTo.author', json(?), '$.payload.message.replyTo.excerpt', ?)
         WHERE room_id = ? AND message_seq IN (SELECT seq FROM messages WHERE room_id = ? AND reply_to_seq = ?)`,
      ),
    };
  }

  /** Recomputes the root's summary, stores it and appends thread.updated. Call inside the reply's commit. */
  refresh(append: Append, roomId: string, rootSeq: number, actor: PublicUser): RoomEvent {
    const { n, last } = this.stmts.counts.get(roomId, rootSeq)!;
    const ids = this.stmts.participants.all(roomId, rootSeq, THREAD_PARTICIPANTS).map((r) => r.author_id);
    this.stmts.save.run(n, last, JSON.stringify(ids), roomId, rootSeq);
    return append(roomId, 'thread.updated', actor, { seq: rootSeq, thread: threadSummary(n, last, this.users(ids)) });
  }

  /** What a reply to `seq` quotes of it now: its current text, or null fields once it is deleted (or gone). */
  quote(roomId: string, seq: number): ReplyRef {
    const p = this.stmts.parent.get(roomId, seq);
    if (!p || p.deleted_at !== null) return { seq, author: null, excerpt: null };
    return { seq, author: toPublicUser(p), excerpt: excerptOf(p.text, false) };
  }

  /** Current profiles of the ids, in order (a user that is gone is left out). */
  users(ids: string[]): PublicUser[] {
    return ids.flatMap((id) => {
      const row = this.stmts.profile.get(id);
      return row ? [toPublicUser(row)] : [];
    });
  }

  /**
   * The replies' stored copies quote `parent` as it is now: its new text after an edit, nothing after a delete, so
   * the log never serves a parent's deleted or previous text through a reply. Call inside the edit's or delete's
   * commit.
   */
  redactExcerpts(parent: Message): void {
    const { author, excerpt } = replyRefOf(parent);
    this.stmts.redactExcerpts.run(JSON.stringify(author), excerpt, parent.roomId, parent.roomId, parent.seq);
  }
}
