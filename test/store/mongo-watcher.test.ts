import t from 'tap';
import type { mongo } from 'mongoose';
import { ChangeWatcher, TYPING_MAX_AGE_MS, type ChangeHandlers } from '../../server/store/mongo/change-watcher.js';
import type { SignalDoc } from '../../server/store/mongo/models.js';

/**
 * The change watcher's handling of what the stream brings. There is no MongoDB server here (the multi-instance and
 * failover tests run the watcher against a real replica set when MONGODB_URI is set), so `db.watch()` returns a
 * stand-in stream that hands out the changes a test pushes, as tryNext() does: one at a time, null when idle.
 */
function fakeDb() {
  const queue: mongo.Document[] = [];
  const pipelines: mongo.Document[][] = [];
  const db = {
    watch(pipeline: mongo.Document[]) {
      pipelines.push(pipeline);
      let closed = false;
      return {
        resumeToken: { _data: 'start' },
        async tryNext() {
          if (closed) throw new Error('closed');
          const next = queue.shift();
          if (next) return next;
          await new Promise((resolve) => setTimeout(resolve, 5));
          return null;
        },
        async close() {
          closed = true;
        },
      };
    },
  };
  return { db: db as unknown as mongo.Db, push: (change: mongo.Document) => queue.push(change), pipelines };
}

function recorder() {
  const seen = { signals: [] as SignalDoc[], resets: 0, schema: 0 };
  const handlers: ChangeHandlers = {
    event: () => {},
    signal: (doc) => seen.signals.push(doc),
    presence: () => {},
    reset: () => seen.resets++,
    schema: () => seen.schema++,
    live: () => {},
  };
  return { seen, handlers };
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

const signal = (type: 'typing' | 'receipt', n: number, wallTime: Date) => ({
  _id: { _data: `s${n}` },
  operationType: 'insert',
  ns: { db: 'parley', coll: 'signals' },
  wallTime,
  fullDocument: { roomId: 'r1', type, data: { n }, at: wallTime },
});

t.test('typing notices that arrive too late are dropped; fresh ones and late receipts are delivered', async (t) => {
  const { db, push } = fakeDb();
  const { seen, handlers } = recorder();
  const serverNow = Date.now() + 60_000; // the server's clock runs a minute ahead of this machine's
  const watcher = new ChangeWatcher(db, handlers, () => {}, { serverNow: () => Date.now() + 60_000 });
  await watcher.start();
  t.teardown(() => watcher.close());
  const old = new Date(serverNow - TYPING_MAX_AGE_MS - 10_000);
  push(signal('typing', 1, old)); // written while the stream was down
  push(signal('receipt', 2, old));
  push(signal('typing', 3, new Date(serverNow - 100)));
  await until(() => seen.signals.length >= 2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(
    seen.signals.map((s) => [s.type, (s.data as { n: number }).n]),
    [
      ['receipt', 2],
      ['typing', 3],
    ],
    "the stale typing notice is dropped, by the server clock, not this machine's",
  );
});

t.test('a dropped collection has its schema made again; a dropped log also resets subscribers', async (t) => {
  const { db, push, pipelines } = fakeDb();
  const { seen, handlers } = recorder();
  const watcher = new ChangeWatcher(db, handlers, () => {}, { collections: ['events', 'signals', 'memberships'] });
  await watcher.start();
  t.teardown(() => watcher.close());
  const watched = JSON.stringify(pipelines[0]);
  t.ok(watched.includes('"memberships"'), 'drops of every store collection are watched');

  push({ _id: { _data: 'd1' }, operationType: 'drop', ns: { db: 'parley', coll: 'signals' } });
  await until(() => seen.schema >= 1);
  t.equal(seen.schema, 1, 'signals dropped: schema made again');
  t.equal(seen.resets, 0, 'the log is intact: no reset');

  push({ _id: { _data: 'd2' }, operationType: 'drop', ns: { db: 'parley', coll: 'events' } });
  await until(() => seen.resets >= 1);
  t.same([seen.schema, seen.resets], [2, 1], 'events dropped: schema made again and subscribers reset');

  push({ _id: { _data: 'd3' }, operationType: 'dropDatabase', ns: { db: 'parley' } });
  await until(() => seen.resets >= 2);
  t.same([seen.schema, seen.resets], [3, 2], 'the database dropped: both');
});
