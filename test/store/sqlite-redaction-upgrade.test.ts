import Database from 'better-sqlite3';
import path from 'node:path';
import { rmSync } from 'node:fs';
import t from 'tap';
import { MIGRATIONS } from '../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/app.js';

// Text deleted or edited before the log was redacted must not survive the upgrade either.
t.test('sqlite: upgrading a schema-4 database redacts earlier copies of deleted and edited messages', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'parley.db');
  const old = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql);
  old.pragma('user_version = 4');
  const at = new Date().toISOString();
  const actor = { id: 'u1', username: 'olduser', displayName: 'Old', gender: 'unspecified', avatar: null };
  old
    .prepare(`INSERT INTO users VALUES ('u1', 'olduser', 'old@example.com', 'x', 'Old', 'unspecified', NULL, ?, ?)`)
    .run(at, at);
  old
    .prepare(
      `INSERT INTO rooms (id, name, topic, kind, owner_id, created_at, updated_at, last_seq) VALUES ('r1', 'old', '', 'public', 'u1', ?, ?, 5)`,
    )
    .run(at, at);
  const message = (
    seq: number,
    text: string | null,
    editedAt: string | null = null,
    deletedAt: string | null = null,
  ) => ({
    roomId: 'r1',
    seq,
    author: actor,
    text,
    attachments: [],
    createdAt: at,
    editedAt,
    deletedAt,
    clientId: null,
  });
  const event = old.prepare(
    `INSERT INTO room_events (room_id, seq, type, actor_id, at, data) VALUES ('r1', ?, ?, 'u1', ?, ?)`,
  );
  const put = (seq: number, type: string, payload: unknown) =>
    event.run(seq, type, at, JSON.stringify({ actor, payload }));
  put(1, 'message.created', { message: message(1, 'deleted secret') });
  put(2, 'message.created', { message: message(2, 'first draft') });
  put(3, 'message.edited', { message: message(2, 'final words', at) });
  put(4, 'message.deleted', { seq: 1, message: message(1, null, null, at) });
  put(5, 'message.created', { message: message(5, 'untouched') });
  const row = old.prepare(
    `INSERT INTO messages (room_id, seq, author_id, text, created_at, edited_at, deleted_at) VALUES ('r1', ?, 'u1', ?, ?, ?, ?)`,
  );
  row.run(1, null, at, null, at);
  row.run(2, 'final words', at, at, null);
  row.run(5, 'untouched', at, null, null);
  old.close();

  const store = new SqliteStore({ file });
  t.teardown(() => store.close());
  const log = await store.eventsAfter('r1', 0, 10);
  const texts = log.map((e) => [e.seq, (e.payload as { message: { text: string | null } }).message.text]);
  t.same(texts, [
    [1, null],
    [2, 'final words'],
    [3, 'final words'],
    [4, null],
    [5, 'untouched'],
  ]);
  t.notMatch(JSON.stringify(log), /deleted secret|first draft/, 'no earlier text survives the upgrade');
});
