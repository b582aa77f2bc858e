import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { CURSOR_BASE_TTL_MS } from '../../server/store/store.js';
import { tempDir } from '../helpers/app.js';

/** Cursor bases in SQLite: kept while used, forgotten after CURSOR_BASE_TTL_MS unused, deleted on a later save. */

const DAY = 24 * 3600_000;

t.test('a base is read while used within the TTL, marked used when read, and pruned once expired', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'parley.db');
  const store = new SqliteStore({ file });
  t.teardown(() => store.close());
  const db = new Database(file);
  t.teardown(() => db.close());
  const usedAt = (id: string) =>
    (db.prepare('SELECT used_at FROM cursor_bases WHERE id = ?').get(id) as { used_at: number } | undefined)?.used_at;
  const age = (id: string, ms: number) =>
    db.prepare('UPDATE cursor_bases SET used_at = ? WHERE id = ?').run(Date.now() - ms, id);

  await store.cursorBases.save([{ id: 'aaaaaaaaaaaa', text: 'one' }]);
  await store.cursorBases.save([{ id: 'bbbbbbbbbbbb', text: 'two' }]);
  t.ok(Math.abs(usedAt('aaaaaaaaaaaa')! - Date.now()) < 5000, 'stored as used now');

  age('aaaaaaaaaaaa', 2 * DAY);
  t.equal(await store.cursorBases.load('aaaaaaaaaaaa'), 'one', 'two days unused: still there');
  // The mark is written after the read answers (a read does not wait for, or fail with, a write).
  for (let i = 0; i < 100 && Date.now() - usedAt('aaaaaaaaaaaa')! > 5000; i++)
    await new Promise((r) => setTimeout(r, 10));
  t.ok(Date.now() - usedAt('aaaaaaaaaaaa')! < 5000, 'and marked used by the read');

  age('bbbbbbbbbbbb', CURSOR_BASE_TTL_MS + DAY);
  t.equal(await store.cursorBases.load('bbbbbbbbbbbb'), null, 'unused past the TTL: forgotten');
  // The store prunes at most hourly, on a save: a new store (a restart) prunes on its first.
  await store.close();
  const reopened = new SqliteStore({ file });
  t.teardown(() => reopened.close());
  await reopened.cursorBases.save([{ id: 'cccccccccccc', text: 'three' }]);
  t.equal(usedAt('bbbbbbbbbbbb'), undefined, 'the expired base is deleted');
  t.equal(await reopened.cursorBases.load('aaaaaaaaaaaa'), 'one', 'the used one is kept');
});
