import Database from 'better-sqlite3';
import path from 'node:path';
import { rmSync } from 'node:fs';
import t from 'tap';
import { MIGRATIONS } from '../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/app.js';

// Messages stored before search existed are indexed by the migration that adds it (deleted ones are not).
t.test('sqlite: a database from before search (schema 6) is indexed when it upgrades', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'parley.db');
  const old = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 6)) old.exec(sql);
  old.pragma('user_version = 6');
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  old
    .prepare(`INSERT INTO users VALUES ('u1', 'olduser', 'old@example.com', 'x', 'Old', 'unspecified', NULL, ?, ?)`)
    .run(at(0), at(0));
  old
    .prepare(
      `INSERT INTO rooms (id, name, topic, kind, owner_id, created_at, updated_at, last_seq) VALUES ('r1', 'old', '', 'public', 'u1', ?, ?, 3)`,
    )
    .run(at(0), at(0));
  old.prepare(`INSERT INTO memberships VALUES ('r1', 'u1', 'owner', ?, 3, 3)`).run(at(0));
  const msg = old.prepare(
    `INSERT INTO messages (room_id, seq, author_id, text, created_at, deleted_at) VALUES ('r1', ?, 'u1', ?, ?, ?)`,
  );
  msg.run(1, 'an archived remark', at(1), null);
  msg.run(2, 'another archived thought', at(2), null);
  msg.run(3, null, at(3), at(4));
  old.close();

  const store = new SqliteStore({ file });
  t.teardown(() => store.close());
  const found = await store.searchMessages('u1', { terms: [{ tokens: ['archived'], prefix: false }], limit: 10 });
  t.same(
    found.map((m) => m.seq),
    [2, 1],
    'old messages are found, newest first',
  );
  const all = await store.searchMessages('u1', { terms: [], authorIds: ['u1'], limit: 10 });
  t.same(
    all.map((m) => m.seq),
    [2, 1],
    'the deleted one is not',
  );
});
