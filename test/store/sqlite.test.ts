import Database from 'better-sqlite3';
import path from 'node:path';
import { rmSync } from 'node:fs';
import t from 'tap';
import { MIGRATIONS } from '../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/app.js';
import { storeContract } from './contract.js';

const dirs = new Map<object, string>();
storeContract(
  'sqlite',
  async () => {
    const dir = tempDir();
    const store = new SqliteStore({ file: path.join(dir, 'parley.db') });
    dirs.set(store, dir);
    return store;
  },
  async (store) => {
    await store.close();
    rmSync(dirs.get(store)!, { recursive: true, force: true });
  },
);

// An embedded store made by an older Parley opens with its data intact and gains what the newer schema adds.
t.test('sqlite: a database from before client keys (schema 3) upgrades in place', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'parley.db');
  const old = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 3)) old.exec(sql);
  old.pragma('user_version = 3');
  const at = new Date().toISOString();
  old
    .prepare(`INSERT INTO users VALUES ('u1', 'olduser', 'old@example.com', 'x', 'Old', 'unspecified', NULL, ?, ?)`)
    .run(at, at);
  old
    .prepare(
      `INSERT INTO rooms (id, name, topic, kind, owner_id, created_at, updated_at, last_seq) VALUES ('r1', 'old', '', 'public', 'u1', ?, ?, 1)`,
    )
    .run(at, at);
  old.prepare(`INSERT INTO memberships VALUES ('r1', 'u1', 'owner', ?, 1, 1)`).run(at);
  old
    .prepare(
      `INSERT INTO messages (room_id, seq, author_id, text, created_at) VALUES ('r1', 1, 'u1', 'from before', ?)`,
    )
    .run(at);
  old.close();

  const store = new SqliteStore({ file });
  t.teardown(() => store.close());
  const before = await store.getMessage('r1', 1);
  t.equal(before?.text, 'from before', 'old messages are kept');
  t.equal(before?.clientId, null, 'and have no client key');
  const author = { id: 'u1', username: 'olduser', displayName: 'Old', gender: 'unspecified' as const, avatar: null };
  const first = await store.postMessage('r1', author, { text: 'new', attachments: [], clientId: 'k' });
  const again = await store.postMessage('r1', author, { text: 'new', attachments: [], clientId: 'k' });
  t.same([first.created, again.created, again.message.seq], [true, false, 2], 'client keys work after the upgrade');
  const check = new Database(file, { readonly: true });
  t.equal(check.pragma('user_version', { simple: true }), MIGRATIONS.length, 'schema at the newest version');
  check.close();
});
