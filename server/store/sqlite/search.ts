import type Database from 'better-sqlite3';
import type { SearchTerm } from '../../search/query.js';
import { storeErrors } from '../errors.js';
import type { MessageSearch } from '../store.js';

/**
 * Full-text search over the FTS5 index of migrations 7 and 10 (messages_fts, kept by triggers in every write's
 * transaction).
 * Rows are numbered in posting order, so "newest first" is the index's descending rowid order and a page stops as
 * soon as it has `limit` rows. The SQL is built per shape of search (which filters are present) and cached, so the
 * planner sees only the constraints that apply.
 */

/** The FTS5 query for terms: each a quoted string (its tokens are letters and digits only), `*` for a prefix. */
export function ftsQuery(terms: SearchTerm[]): string {
  return terms.map((t) => `"${t.tokens.join(' ').replace(/"/g, '""')}"${t.prefix ? '*' : ''}`).join(' ');
}

/** The author column's token for a user id (as migration 10 writes it: 'a' and the id's bytes in hex). */
export function authorToken(id: string): string {
  return `a${Buffer.from(id, 'utf8').toString('hex')}`;
}

/** The whole MATCH: the terms in the text column, and any of the authors in the author column. */
function matchOf(search: MessageSearch): string {
  const text = `text : (${ftsQuery(search.terms)})`;
  if (!search.authorIds) return text;
  return `${text} AND author : (${search.authorIds.map((id) => `"${authorToken(id)}"`).join(' OR ')})`;
}

interface Params {
  user: string;
  match?: string;
  rooms?: string;
  authors?: string;
  before?: string;
  after?: string;
  cursor?: number;
  limit: number;
}

export class SqliteSearch {
  private readonly cache = new Map<string, Database.Statement<Params, { room_id: string; seq: number }>>();
  private readonly position;

  constructor(private readonly db: Database.Database) {
    this.position = db.prepare<[string, number], { id: number }>(
      'SELECT id FROM message_search WHERE room_id = ? AND seq = ?',
    );
  }

  /** Keys of the matching messages, newest first. */
  find(userId: string, search: MessageSearch): Array<{ roomId: string; seq: number }> {
    if (search.authorIds?.length === 0 || search.roomIds?.length === 0) return [];
    const p: Params = { user: userId, limit: search.limit };
    const where: string[] = [
      // Only the user's rooms, and never a deleted room.
      `s.room_id IN (SELECT m.room_id FROM memberships m JOIN rooms r ON r.id = m.room_id AND r.deleted_at IS NULL
                     WHERE m.user_id = @user)`,
    ];
    const text = search.terms.length > 0;
    const key = text ? 'f.rowid' : 's.id';
    if (text) p.match = matchOf(search);
    else
      where.push(
        'EXISTS (SELECT 1 FROM messages x WHERE x.room_id = s.room_id AND x.seq = s.seq AND x.deleted_at IS NULL)',
      );
    if (search.roomIds) {
      p.rooms = JSON.stringify(search.roomIds);
      where.push('s.room_id IN (SELECT value FROM json_each(@rooms))');
    }
    if (search.authorIds && !text) {
      p.authors = JSON.stringify(search.authorIds);
      where.push('s.author_id IN (SELECT value FROM json_each(@authors))');
    }
    if (search.before !== undefined) {
      p.before = search.before;
      where.push('s.created_at < @before');
    }
    if (search.after !== undefined) {
      p.after = search.after;
      where.push('s.created_at >= @after');
    }
    if (search.cursor) {
      const at = this.position.get(search.cursor.roomId, search.cursor.seq);
      if (!at) throw storeErrors.badSearchCursor();
      p.cursor = at.id;
      where.push(`${key} < @cursor`);
    }
    const sql = text
      ? `SELECT s.room_id, s.seq FROM messages_fts f JOIN message_search s ON s.id = f.rowid
         WHERE messages_fts MATCH @match AND ${where.join(' AND ')} ORDER BY f.rowid DESC LIMIT @limit`
      : `SELECT s.room_id, s.seq FROM message_search s WHERE ${where.join(' AND ')} ORDER BY s.id DESC LIMIT @limit`;
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<Params, { room_id: string; seq: number }>(sql);
      this.cache.set(sql, stmt);
    }
    return stmt.all(p).map((r) => ({ roomId: r.room_id, seq: r.seq }));
  }
}
