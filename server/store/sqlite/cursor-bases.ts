import type Database from 'better-sqlite3';
import { CURSOR_BASE_TOUCH_MS, CURSOR_BASE_TTL_MS, type CursorBaseStore } from '../store.js';
/** Expired bases are deleted at most this often (on a save). */
const PRUNE_EVERY_MS = 3600_000;

/**
 * Cursor bases in the `cursor_bases` table. Saves go through the group commit (`commit`), so a storm of new streams
 * shares its fsyncs with the posts of that turn instead of paying one each.
 */
export class SqliteCursorBases implements CursorBaseStore {
  private readonly stmts;
  private prunedAt = 0;

  constructor(
    db: Database.Database,
    private readonly commit: <T>(fn: () => T) => Promise<T>,
  ) {
    this.stmts = {
      upsert: db.prepare<[string, string, number]>(
        `INSERT INTO cursor_bases (id, positions, used_at) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET used_at = excluded.used_at`,
      ),
      get: db.prepare<[string], { positions: string; used_at: number }>(
        `SELECT positions, used_at FROM cursor_bases WHERE id = ?`,
      ),
      touch: db.prepare<[number, string]>(`UPDATE cursor_bases SET used_at = ? WHERE id = ?`),
      prune: db.prepare<[number]>(`DELETE FROM cursor_bases WHERE used_at < ?`),
    };
  }

  save(bases: ReadonlyArray<{ id: string; text: string }>): Promise<void> {
    return this.commit(() => {
      const now = Date.now();
      for (const { id, text } of bases) this.stmts.upsert.run(id, text, now);
      if (now - this.prunedAt > PRUNE_EVERY_MS) {
        this.prunedAt = now;
        this.stmts.prune.run(now - CURSOR_BASE_TTL_MS);
      }
    });
  }

  async load(id: string): Promise<string | null> {
    const row = this.stmts.get.get(id);
    const now = Date.now();
    if (!row || row.used_at < now - CURSOR_BASE_TTL_MS) return null;
    // Not awaited: a read must not fail because a write did (a full disk); a failed mark only shortens the base's
    // life, and the next read marks it again.
    if (row.used_at < now - CURSOR_BASE_TOUCH_MS)
      this.commit(() => this.stmts.touch.run(now, id)).catch(() => undefined);
    return row.positions;
  }
}
