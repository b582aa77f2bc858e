import { rmSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CursorBases } from '../../server/realtime/cursor-bases.js';
import { makeBase } from '../../server/realtime/stream-cursor.js';
import { newId } from '../../server/ids.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { CursorBaseStore } from '../../server/store/store.js';
import { tempDir } from '../helpers/app.js';

/** The bases' cache over the real SQLite store, its saves counted: batched, shared, and read back after a restart. */

function counted(store: CursorBaseStore) {
  const calls: number[] = [];
  let failing = false;
  const wrapped: CursorBaseStore = {
    save: (bases) => {
      calls.push(bases.length);
      return failing ? Promise.reject(new Error('disk full')) : store.save(bases);
    },
    load: (id) => store.load(id),
  };
  return { wrapped, calls, fail: (on: boolean) => (failing = on) };
}

t.test('saves: a lone one at once, a storm in batches, the same positions once; loads after a restart', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'parley.db');
  const store = new SqliteStore({ file });
  const { wrapped, calls } = counted(store.cursorBases);
  const bases = new CursorBases(wrapped);

  const room = newId();
  const lone = await bases.save([[room, 1]]);
  t.same(calls, [1], 'a lone save is written at once');
  t.equal(lone.id, makeBase([[room, 1]]).id);

  // 300 streams opening over about half a second, 20 of them at the same positions.
  const saves: Promise<unknown>[] = [];
  const seqs = new Set<number>();
  const started = Date.now();
  for (let i = 0; i < 30; i++) {
    for (let j = 0; j < 10; j++) {
      const seq = i < 20 && j === 0 ? 1000 : i * 10 + j + 2;
      seqs.add(seq);
      saves.push(bases.save([[room, seq]]));
    }
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  await Promise.all(saves);
  const written = calls.slice(1).reduce((a, b) => a + b, 0);
  t.equal(written, seqs.size, `each distinct base written once (${seqs.size} of ${saves.length} saves)`);
  const elapsed = Date.now() - started;
  const most = Math.ceil(elapsed / 100) + 1;
  t.ok(calls.length - 1 <= most, `at most one write per 100 ms: ${calls.length - 1} writes in ${elapsed} ms`);
  const before = calls.length;
  t.equal(await bases.save([[room, 1]]), lone, 'a base saved before: the same object');
  t.equal(calls.length, before, 'and no write');
  await store.close();

  const reopened = new SqliteStore({ file });
  t.teardown(() => reopened.close());
  const fresh = new CursorBases(reopened.cursorBases);
  const read = await fresh.load(makeBase([[room, 1000]]).id);
  t.same(read && [...read.seqs], [1000], 'read back by a new process');
  t.equal(await fresh.load('AAAAAAAAAAAA'), null, 'unknown');
});

t.test('a failed write rejects every save of its batch, and a later save writes again', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ file: path.join(dir, 'parley.db') });
  t.teardown(() => store.close());
  const { wrapped, calls, fail } = counted(store.cursorBases);
  const reported: unknown[] = [];
  const bases = new CursorBases(wrapped, { report: (err) => reported.push(err) });
  const room = newId();
  fail(true);
  const results = await Promise.allSettled([bases.save([[room, 1]]), bases.save([[room, 2]])]);
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  t.equal(reported.length, 1, 'reported once');
  fail(false);
  const base = await bases.save([[room, 1]]);
  t.equal(await store.cursorBases.load(base.id), base.text, 'stored on the next save');
  t.equal(calls.length, 2);
});

t.test('a base used from memory is stored again once a day; memory holds bases up to a byte bound', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ file: path.join(dir, 'parley.db') });
  t.teardown(() => store.close());
  const { wrapped, calls } = counted(store.cursorBases);
  // A "day" of 200 ms.
  const bases = new CursorBases(wrapped, { resaveMs: 200, maxBytes: 2000 });
  const room = newId();
  const base = await bases.save([[room, 1]]);
  t.equal(calls.length, 1);
  await bases.load(base.id);
  t.equal(calls.length, 1, 'read from memory within the day: no write');
  await new Promise((resolve) => setTimeout(resolve, 250));
  await bases.load(base.id);
  for (let i = 0; i < 100 && calls.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(calls, [1, 1], 'read from memory a day later: stored again, so the store keeps it');
  await bases.load(base.id);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(calls.length, 2, 'once');

  // Each base of 20 rooms is 379 bytes of text: 2,000 bytes hold five.
  const many = [];
  for (let i = 0; i < 6; i++) many.push(await bases.save(Array.from({ length: 20 }, () => [newId(), i] as const)));
  t.equal(many[0]!.text.length, 379);
  // The oldest went from memory, not from the store: reading it costs a store read, and it is there.
  const reads: string[] = [];
  const spy = new CursorBases(
    { save: wrapped.save, load: (id) => (reads.push(id), wrapped.load(id)) },
    { maxBytes: 2000 },
  );
  for (const b of many) await spy.save(b.rooms.map((r, i) => [r, b.seqs[i]!] as const));
  t.same(await spy.load(many[0]!.id), many[0], 'evicted, read back from the store');
  t.same(reads, [many[0]!.id], 'only the evicted one is read from the store');
  t.equal(await spy.load(many[5]!.id).then(() => reads.length), 1, 'the newest still from memory');
});
