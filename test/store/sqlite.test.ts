import Database from 'better-sqlite3';
import path from 'node:path';
import { existsSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import t from 'tap';
import { eventJson } from '../../server/store/event-json.js';
import { openDatabase } from '../../server/store/sqlite/connection.js';
import { MIGRATIONS } from '../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { RoomEvent } from '../../server/store/store.js';
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

// A replay reads the log a page at a time as one row (the events' stored data joined in one blob) and writes each
// event's JSON as stored: every event must come back whole and in order, whatever its text and however it is paged.
t.test('sqlite: the log read back in pages carries each event whole, as JSON and as an object', async (t) => {
  const dir = tempDir();
  const store = new SqliteStore({ file: path.join(dir, 'parley.db') });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const published: RoomEvent[] = [];
  t.teardown(store.feed.onEvent((e) => published.push(e)));
  const u = await store.createUser({
    username: 'pager',
    email: 'pager@example.com',
    passwordHash: 'x',
    displayName: 'Pagé 🎉',
    gender: 'unspecified',
    avatar: null,
  });
  const owner = { id: u.id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar };
  const { room } = await store.createRoom({ name: 'pages', topic: '', kind: 'public', owner });
  const texts = ['ascii', 'ünïcødé — 🎉🎉', '長い文字列'.repeat(40), 'quotes " and \\ and \n new lines', ''];
  for (const text of texts) await store.postMessage(room.id, owner, { text: text || 'x', attachments: [] });
  // An event stored with neither actor nor payload (`{}`), as rows from older versions may be.
  const raw = new Database(path.join(dir, 'parley.db'));
  raw.prepare(`UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ?`).run(room.id);
  raw
    .prepare(`INSERT INTO room_events (room_id, seq, type, at, data) VALUES (?, 7, 'room.updated', ?, '{}')`)
    .run(room.id, new Date(0).toISOString());
  raw.close();

  const whole = await store.eventsAfter(room.id, 0, 100);
  t.same(
    whole.map((e) => e.seq),
    [1, 2, 3, 4, 5, 6, 7],
    'every event, in order',
  );
  for (const size of [1, 2, 3, 7]) {
    const paged: RoomEvent[] = [];
    for (let after = 0; after < 7; after += size) paged.push(...(await store.eventsAfter(room.id, after, size)));
    t.same(
      paged.map((e) => JSON.stringify(e)),
      whole.map((e) => JSON.stringify(e)),
      `pages of ${size} read the same events`,
    );
  }
  const asJson = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
  // The feed publishes after the commit, a turn later.
  while (published.length < 6) await new Promise((resolve) => setTimeout(resolve, 5));
  t.same(
    whole.slice(0, 6).map(asJson),
    published.filter((e) => e.roomId === room.id).map(asJson),
    'each event as the feed published it',
  );
  t.same(
    whole.map((e) => JSON.parse(eventJson(e))),
    whole.map(asJson),
    'the JSON a replay writes is the event',
  );
  t.same(
    { actor: whole[6]!.actor, payload: whole[6]!.payload, json: JSON.parse(eventJson(whole[6]!)) },
    {
      actor: undefined,
      payload: undefined,
      json: { roomId: room.id, seq: 7, type: 'room.updated', at: new Date(0).toISOString() },
    },
    'an event stored as {} has neither actor nor payload',
  );
  t.same((whole[3]!.payload.message as { text: string }).text, texts[2], 'a message is read back with its text');
});

// A group commit runs each write in a savepoint; what SQLite keeps to undo one (its statement journal) went to a file
// in /var/tmp once over 64 KiB, written on the event loop. It stays in memory now.
t.test(
  'sqlite: a large savepoint inside a transaction keeps its journal in memory, not in a temporary file',
  async (t) => {
    if (!existsSync('/proc/self/fd')) {
      t.comment('skipped: needs /proc to see open files');
      return;
    }
    const dir = tempDir();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const db = openDatabase({ file: path.join(dir, 'parley.db') });
    t.teardown(() => db.close());
    db.exec('CREATE TABLE bulk (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO bulk (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('y'.repeat(200));
    })();
    const temporaryFiles = () =>
      readdirSync('/proc/self/fd')
        .map((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`);
          } catch {
            return '';
          }
        })
        .filter((target) => target.includes('etilqs'));
    const touchAll = db.prepare("UPDATE bulk SET v = v || 'x'");
    let during: string[] = [];
    // The outer write dirties every page; the savepoint's own write must keep them all (about 500 KB) to undo it.
    db.transaction(() => {
      touchAll.run();
      db.transaction(() => {
        touchAll.run();
        during = temporaryFiles();
      })();
    })();
    t.same(during, [], 'no SQLite temporary file was open during the savepoint');
    t.equal(
      (db.prepare('SELECT v FROM bulk WHERE id = 1').get() as { v: string }).v,
      'y'.repeat(200) + 'xx',
      'and both writes landed',
    );
  },
);
