import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { GroupCommit } from '../../server/store/sqlite/group-commit.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The group-commit engine on its own, on a real database file in WAL mode. A second connection reads what is
 * committed (and only that), which tells a commit apart from a write still inside the batch's transaction.
 */
function setup(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-group-commit-'));
  const file = path.join(dir, 'test.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE items (name TEXT PRIMARY KEY);
    CREATE TABLE notes (item TEXT NOT NULL REFERENCES items(name) DEFERRABLE INITIALLY DEFERRED);
  `);
  const reader = new Database(file, { readonly: true });
  t.teardown(async () => {
    await nextTurn(); // the last batch's publication reads with `reader`
    reader.close();
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const committed = () => reader.prepare('SELECT name FROM items ORDER BY name').pluck().all() as string[];
  const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
  /** What was published, with whether the reader could see the item's row at that moment. */
  const published: Array<{ item: string; committed: boolean }> = [];
  const engine = new GroupCommit<string>(db, (items) => {
    for (const item of items) published.push({ item, committed: committed().includes(item) });
  });
  /** A write that stores and emits each name. */
  const write = (...names: string[]) =>
    engine.run((emit) => {
      for (const name of names) {
        insert.run(name);
        emit(name);
      }
      return names.join('+');
    });
  return { db, engine, committed, insert, published, write };
}

t.test(
  'a write that fails in a batch leaves nothing; the others commit; each caller gets its own outcome',
  async (t) => {
    const { engine, committed, insert, published, write } = setup(t);
    const failure = new Error('b changed its mind');
    const outcomes = await Promise.allSettled([
      write('a'),
      engine.run((emit) => {
        insert.run('b1');
        emit('b1');
        insert.run('b2');
        emit('b2');
        throw failure;
      }),
      write('c'),
      // A constraint error from SQLite itself, after this write's first insert succeeded.
      engine.run((emit) => {
        insert.run('d');
        emit('d');
        insert.run('a');
        return 'never';
      }),
    ]);
    t.same(outcomes[0], { status: 'fulfilled', value: 'a' });
    t.equal(outcomes[1].status === 'rejected' && outcomes[1].reason, failure, 'the failing write gets its own error');
    t.same(outcomes[2], { status: 'fulfilled', value: 'c' });
    t.match(outcomes[3], { status: 'rejected', reason: { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' } });
    t.same(committed(), ['a', 'c'], 'nothing of the failed writes is stored, not even their first inserts');
    await nextTurn();
    t.same(
      published.map((p) => p.item),
      ['a', 'c'],
      'nothing they emitted is published',
    );
  },
);

t.test('writes requested in one turn share one transaction, and each is answered once committed', async (t) => {
  const { db, engine, committed, insert, write } = setup(t);
  const answers: Array<{ name: string; committed: boolean }> = [];
  const seen: Array<{ inTransaction: boolean; committedSoFar: string[] }> = [];
  const probe = (name: string) =>
    engine.run(() => {
      insert.run(name);
      seen.push({ inTransaction: db.inTransaction, committedSoFar: committed() });
      return name;
    });
  const batch = [probe('a'), probe('b'), probe('c')].map((p) =>
    p.then((name) => answers.push({ name, committed: committed().includes(name) })),
  );
  t.same(committed(), [], 'nothing runs in the turn the writes were requested');
  await Promise.all(batch);
  t.same(
    seen,
    [
      { inTransaction: true, committedSoFar: [] },
      { inTransaction: true, committedSoFar: [] },
      { inTransaction: true, committedSoFar: [] },
    ],
    'while the third write runs, the first is not committed yet: they are in one transaction',
  );
  t.same(
    answers,
    [
      { name: 'a', committed: true },
      { name: 'b', committed: true },
      { name: 'c', committed: true },
    ],
    'each answered after the commit, in the order asked',
  );

  // A write asked for after that batch ran is a new batch: it sees the earlier ones committed.
  let before: string[] = [];
  await engine.run(() => {
    before = committed();
    insert.run('d');
  });
  t.same(before, ['a', 'b', 'c']);
  await write('e');
  t.same(committed(), ['a', 'b', 'c', 'd', 'e']);
});

t.test('what a batch emits is published after its commit, in commit order, in the turn after', async (t) => {
  const { engine, insert, published, write } = setup(t);
  const log: string[] = [];
  const first = [
    write('a').then(() => log.push(`answered a, published: ${published.length}`)),
    write('b1', 'b2').then(() => log.push(`answered b, published: ${published.length}`)),
    engine
      .run((emit) => {
        insert.run('x');
        emit('x');
        throw new Error('x fails');
      })
      .catch(() => log.push(`refused x, published: ${published.length}`)),
  ];
  await Promise.all(first);
  t.same(
    log,
    ['answered a, published: 0', 'answered b, published: 0', 'refused x, published: 0'],
    'the writers are answered before anything of their batch is published',
  );
  await nextTurn();
  t.same(
    published,
    [
      { item: 'a', committed: true },
      { item: 'b1', committed: true },
      { item: 'b2', committed: true },
    ],
    'published in the turn after the commit, each committed by then, in the order written',
  );

  // Two more batches, the second asked for in the first one's answer: published after the first, in order.
  await write('c').then(() => write('d'));
  await nextTurn();
  t.same(
    published.map((p) => p.item),
    ['a', 'b1', 'b2', 'c', 'd'],
  );
  t.ok(
    published.every((p) => p.committed),
    'every item was visible to another connection when published',
  );
});

t.test(
  'when the commit itself fails, every write of the batch fails with its error and nothing is published',
  async (t) => {
    const { engine, committed, published, write, db } = setup(t);
    const note = db.prepare('INSERT INTO notes (item) VALUES (?)');
    const outcomes = await Promise.allSettled([
      write('a'),
      // The foreign key is checked at COMMIT: this write succeeds in its savepoint and fails the whole commit.
      engine.run((emit) => {
        note.run('nothing');
        emit('note');
      }),
    ]);
    t.match(outcomes, [
      { status: 'rejected', reason: { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' } },
      { status: 'rejected', reason: { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' } },
    ]);
    t.same(committed(), [], 'nothing of the batch is stored');
    t.notOk(db.inTransaction, 'the transaction was rolled back');
    await nextTurn();
    t.same(published, [], 'nothing is published');
    t.equal(await write('b'), 'b', 'the next batch commits');
    t.same(committed(), ['b']);
  },
);

t.test('when SQLite abandons the transaction mid-batch, no later write of the batch runs outside it', async (t) => {
  const { db, engine, committed, published, write } = setup(t);
  // What SQLite may do on a full disk or an I/O error: roll back the whole transaction, not just the statement.
  const lost = new Error('the transaction was rolled back');
  const outcomes = await Promise.allSettled([
    write('a'),
    engine.run(() => {
      db.exec('ROLLBACK');
      throw lost;
    }),
    write('c'),
  ]);
  t.same(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected', 'rejected'],
    'no write of the batch is reported as stored',
  );
  t.same(committed(), [], 'and none is: a later write did not commit on its own');
  await nextTurn();
  t.same(published, [], 'nothing is published');
  t.equal(await write('d'), 'd', 'the next batch commits');
  t.same(committed(), ['d']);
});

t.test('flush() commits what is queued at once; a closed database refuses writes', async (t) => {
  const { db, engine, committed, write } = setup(t);
  const a = write('a');
  engine.flush();
  t.same(committed(), ['a'], 'committed by flush(), before the turn ends');
  t.equal(await a, 'a');
  db.close();
  await t.rejects(write('b'), { message: 'the store is closed' });
});
