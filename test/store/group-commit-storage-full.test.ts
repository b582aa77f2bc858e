import Database from 'better-sqlite3';
import path from 'node:path';
import { rmSync } from 'node:fs';
import t from 'tap';
import { GroupCommit } from '../../server/store/sqlite/group-commit.js';
import { isSqliteUnavailable } from '../../server/store/sqlite/unavailable.js';
import { tempDir } from '../helpers/app.js';

// A full disk makes SQLite roll the whole transaction back by itself. The batch must then fail as a whole with the
// storage error: no write of it may run on outside the transaction (and be stored although its caller was refused).
t.test('group commit: a full disk fails the whole batch with SQLITE_FULL and stores nothing', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(path.join(dir, 'full.db'));
  t.teardown(() => db.close());
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const published: string[][] = [];
  const engine = new GroupCommit<string>(db, (items) => published.push(items));
  const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
  const write = (body: string) =>
    engine.run((emit) => {
      insert.run(body);
      emit(body);
      return body;
    });

  await write('before');
  // The database may not grow: the next write that needs a new page fails as a full disk does.
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  const results = await Promise.allSettled([write('small'), write('x'.repeat(200_000)), write('after')]);
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected', 'rejected'],
    'every write of the batch is refused',
  );
  for (const r of results) {
    t.ok(r.status === 'rejected' && isSqliteUnavailable(r.reason), 'with an error that means "storage unavailable"');
  }
  t.same(
    db
      .prepare('SELECT body FROM notes ORDER BY id')
      .all()
      .map((r) => (r as { body: string }).body),
    ['before'],
    'nothing of the batch is stored, not even the write after the one that filled the disk',
  );

  db.pragma('max_page_count = 1073741823');
  t.equal(await write('later'), 'later', 'once there is room again, writes commit');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(published, [['before'], ['later']], 'only committed writes were published');
});
