import type Database from 'better-sqlite3';
import { mayMention, mentionRecipients, resolveMentions, type ResolvedMentions } from '../../messages/mentions.js';
import type { MentionPage, NotifyPatch } from '../store.js';

const NONE: ResolvedMentions = { mentions: [], mentionsRoom: false, mentionsHere: false };

/**
 * Whom messages mention: the mention fields on each message and one `mentions` row per member a message reaches
 * (the unread mention counts and the inbox read those). Runs inside the post's, edit's or delete's commit.
 * Also the members' notification settings, which are theirs alone (no event).
 */
export class SqliteMentions {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      members: db.prepare<[string], { id: string; username: string }>(
        `SELECT u.id, u.username FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?`,
      ),
      setFields: db.prepare<[string, number, number, string, number]>(
        `UPDATE messages SET mentions = ?, mentions_room = ?, mentions_here = ? WHERE room_id = ? AND seq = ?`,
      ),
      insert: db.prepare<[string, string, number, string, number]>(
        `INSERT INTO mentions (user_id, room_id, seq, at, here) VALUES (?, ?, ?, ?, ?)`,
      ),
      clear: db.prepare<[string, number]>(`DELETE FROM mentions WHERE room_id = ? AND seq = ?`),
      reachedHere: db.prepare<[string, number], { user_id: string }>(
        `SELECT user_id FROM mentions WHERE room_id = ? AND seq = ? AND here = 1`,
      ),
      // Newest first across the rooms the user is in; the page continues strictly after (at, room, seq).
      page: db.prepare<
        { me: string; at: string | null; room: string; seq: number; limit: number },
        { room_id: string; seq: number }
      >(
        `SELECT n.room_id, n.seq FROM mentions n
         JOIN memberships m ON m.room_id = n.room_id AND m.user_id = n.user_id
         JOIN rooms r ON r.id = n.room_id AND r.deleted_at IS NULL
         WHERE n.user_id = @me
           AND (@at IS NULL OR n.at < @at OR (n.at = @at AND (n.room_id < @room OR (n.room_id = @room AND n.seq < @seq))))
         ORDER BY n.at DESC, n.room_id DESC, n.seq DESC
         LIMIT @limit`,
      ),
      setNotify: db.prepare<{ room: string; user: string; notify: string | null; muted: number | null }>(
        `UPDATE memberships SET notify = coalesce(@notify, notify), muted = coalesce(@muted, muted)
         WHERE room_id = @room AND user_id = @user`,
      ),
    };
  }

  /** The mentions `text` makes in the room (a member lookup only when it has an `@`). */
  resolve(roomId: string, text: string | null, authorId: string): ResolvedMentions {
    if (!mayMention(text)) return NONE;
    return resolveMentions(text, this.stmts.members.all(roomId), authorId);
  }

  /**
   * Stores the message's mention fields and whom it reaches, replacing what it had. For an edit that keeps @here,
   * the members an earlier @here reached stay reached beside those online now.
   */
  record(
    roomId: string,
    seq: number,
    at: string,
    authorId: string,
    resolved: ResolvedMentions,
    online: readonly string[],
  ): void {
    const reached = new Set(online);
    if (resolved.mentionsHere) for (const r of this.stmts.reachedHere.all(roomId, seq)) reached.add(r.user_id);
    this.stmts.clear.run(roomId, seq);
    const { mentions, mentionsRoom, mentionsHere } = resolved;
    this.stmts.setFields.run(JSON.stringify(mentions), +mentionsRoom, +mentionsHere, roomId, seq);
    if (mentions.length === 0 && !mentionsRoom && !mentionsHere) return;
    const memberIds = mentionsRoom || mentionsHere ? this.stmts.members.all(roomId).map((m) => m.id) : [];
    for (const [userId, { here }] of mentionRecipients(resolved, memberIds, reached, authorId)) {
      this.stmts.insert.run(userId, roomId, seq, at, +here);
    }
  }

  /** A deleted message mentions no one. */
  clear(roomId: string, seq: number): void {
    this.stmts.clear.run(roomId, seq);
    this.stmts.setFields.run('[]', 0, 0, roomId, seq);
  }

  page(userId: string, page: MentionPage): Array<{ roomId: string; seq: number }> {
    const b = page.before;
    return this.stmts.page
      .all({ me: userId, at: b?.at ?? null, room: b?.roomId ?? '', seq: b?.seq ?? 0, limit: page.limit })
      .map((r) => ({ roomId: r.room_id, seq: r.seq }));
  }

  /** True when the member exists (and now has the settings). */
  setNotify(roomId: string, userId: string, patch: NotifyPatch): boolean {
    const muted = patch.muted === undefined ? null : +patch.muted;
    return this.stmts.setNotify.run({ room: roomId, user: userId, notify: patch.notify ?? null, muted }).changes > 0;
  }
}
