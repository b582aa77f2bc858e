import t from 'tap';
import type { mongo } from 'mongoose';
import type { PresenceDoc } from '../../server/store/mongo/models.js';
import { MongoPresenceBoard } from '../../server/store/mongo/presence.js';
import type { PresenceChange, PublicUser } from '../../server/store/store.js';

/**
 * How the Mongo presence board writes, counted. There is no MongoDB server here (the contract suite and the
 * multi-instance tests run the board against a real replica set when MONGODB_URI is set), so the collection is a
 * stand-in that keeps documents in a Map and answers the few calls the board makes as MongoDB would, counting them.
 */
type Doc = { _id: string; roomId: string; userId: string; instance: string; user: PublicUser; expiresAt: number };
type Literal = { $literal: unknown };
type Op =
  | { updateOne: { filter: { _id: string }; update: [{ $set: Record<string, Literal> }, unknown]; upsert: boolean } }
  | { deleteOne: { filter: { _id: string } } };
type Filter = {
  _id?: string;
  instance?: string;
  roomId?: string | { $in: string[] };
  userId?: string;
  $expr?: unknown;
  expiresAt?: { $lte: Date };
};

const TTL = 30_000;

function fakeCollection() {
  const docs = new Map<string, Doc>();
  const calls: Record<string, number> = {};
  const upserts = new Map<string, number>();
  const finds: Filter[] = [];
  let failNext = false;
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const matches = (d: Doc, f: Filter) =>
    (f._id === undefined || d._id === f._id) &&
    (f.instance === undefined || d.instance === f.instance) &&
    (f.roomId === undefined ||
      (typeof f.roomId === 'string' ? d.roomId === f.roomId : f.roomId.$in.includes(d.roomId))) &&
    (f.userId === undefined || d.userId === f.userId) &&
    (f.$expr === undefined || d.expiresAt > Date.now()) &&
    (f.expiresAt === undefined || d.expiresAt <= f.expiresAt.$lte.getTime());
  const collection = {
    async bulkWrite(ops: Op[]) {
      count('bulkWrite');
      if (failNext) {
        failNext = false;
        throw new Error('not primary');
      }
      for (const op of ops) {
        if ('updateOne' in op) {
          const { _id } = op.updateOne.filter;
          const set = op.updateOne.update[0].$set;
          const fields = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v.$literal]));
          docs.set(_id, { ...(fields as Omit<Doc, '_id' | 'expiresAt'>), _id, expiresAt: Date.now() + TTL });
          upserts.set(_id, (upserts.get(_id) ?? 0) + 1);
        } else {
          docs.delete(op.deleteOne.filter._id);
        }
      }
    },
    async updateMany(filter: Filter) {
      count('updateMany');
      let matchedCount = 0;
      for (const d of docs.values()) {
        if (!matches(d, filter)) continue;
        d.expiresAt = Date.now() + TTL;
        matchedCount++;
      }
      return { matchedCount };
    },
    async deleteMany(filter: Filter) {
      count('deleteMany');
      for (const d of [...docs.values()]) if (matches(d, filter)) docs.delete(d._id);
    },
    find(filter: Filter) {
      count('find');
      finds.push(filter);
      return { toArray: async () => [...docs.values()].filter((d) => matches(d, filter)) };
    },
    async findOne(filter: Filter) {
      count('findOne');
      return [...docs.values()].find((d) => matches(d, filter)) ?? null;
    },
  };
  return {
    collection: collection as unknown as mongo.Collection<PresenceDoc>,
    docs,
    calls,
    upserts,
    finds,
    failOnce: () => (failNext = true),
  };
}

const user = (i: number, displayName = `User ${i}`): PublicUser => ({
  id: `u${i}`,
  username: `user${i}`,
  displayName,
  gender: 'unspecified',
  avatar: null,
});

function board(fake: ReturnType<typeof fakeCollection>, errors: unknown[] = []) {
  const b = new MongoPresenceBoard(
    fake.collection,
    async () => new Date(),
    async () => null,
    TTL,
    (err) => errors.push(err),
  );
  return b;
}

t.test('a heartbeat racing new streams rewrites nothing that did not change', async (t) => {
  const fake = fakeCollection();
  const b = board(fake);
  t.teardown(() => b.close());
  const n = 2000;
  await Promise.all(Array.from({ length: n }, (_, i) => b.set(`r${i % 50}`, user(i), true)));
  t.equal(fake.docs.size, n, 'every stream has its document');
  t.ok((fake.calls.bulkWrite ?? 0) <= 2, `streams opened together are written in one batch (${fake.calls.bulkWrite})`);

  // The heartbeat is queued; one more stream opens before it runs.
  const beat = b.pulse();
  const late = b.set('r0', user(n), true);
  await Promise.all([beat, late]);
  t.equal(fake.docs.size, n + 1);
  t.equal(fake.calls.updateMany, 1, 'the heartbeat is one updateMany');
  const total = [...fake.upserts.values()].reduce((a, b) => a + b, 0);
  t.equal(total, n + 1, `each document was written once (${total} upserts for ${n + 1} streams)`);
  t.notOk(fake.calls.find, 'nothing was missing, so nothing was looked up');

  // Saying it again changes nothing; a new profile is written once.
  const before = fake.calls.bulkWrite;
  await b.set('r1', user(1), true);
  t.equal(fake.calls.bulkWrite, before, 'the same user in the same room again: no write at all');
  await b.set('r1', user(1, 'Renamed'), true);
  t.equal(fake.docs.get(`r1/u1/${b.instance}`)?.user.displayName, 'Renamed', 'a changed profile is written');
  t.equal(fake.upserts.get(`r1/u1/${b.instance}`), 2);
});

t.test('documents swept while the instance was cut off are written again, only those', async (t) => {
  const fake = fakeCollection();
  const b = board(fake);
  t.teardown(() => b.close());
  await Promise.all(Array.from({ length: 100 }, (_, i) => b.set('room', user(i), true)));
  const swept = [`room/u3/${b.instance}`, `room/u50/${b.instance}`, `room/u99/${b.instance}`];
  for (const id of swept) fake.docs.delete(id); // another instance's sweep, after this one's TTL ran out
  await b.pulse();
  t.equal(fake.docs.size, 100, 'all back');
  t.same(
    [...fake.upserts]
      .filter(([, times]) => times > 1)
      .map(([id]) => id)
      .sort(),
    swept.sort(),
    'only the swept ones were written again',
  );
});

t.test('a failed batch is written again by the next heartbeat; its set() calls reject', async (t) => {
  const fake = fakeCollection();
  const errors: unknown[] = [];
  const b = board(fake, errors);
  t.teardown(() => b.close());
  fake.failOnce();
  await t.rejects(Promise.all([b.set('room', user(1), true), b.set('room', user(2), true)]), /not primary/);
  t.equal(fake.docs.size, 0);
  await b.pulse();
  t.same([...fake.docs.keys()].sort(), [`room/u1/${b.instance}`, `room/u2/${b.instance}`], 'written by the heartbeat');
  await b.set('room', user(1), false);
  t.same([...fake.docs.keys()], [`room/u2/${b.instance}`], 'and a stream that closes deletes its document');
});

t.test('resync reads the rooms of interest in a few queries and reports who came and went', async (t) => {
  const fake = fakeCollection();
  const b = board(fake);
  t.teardown(() => b.close());
  const changes: PresenceChange[] = [];
  b.onChange((c) => changes.push(c));
  // This instance has streams in 600 rooms.
  await Promise.all(Array.from({ length: 600 }, (_, i) => b.set(`r${i}`, user(0), true)));
  // Meanwhile, on other instances: u7 came online in r5 (the change stream missed it)...
  fake.docs.set('r5/u7/other', {
    _id: 'r5/u7/other',
    roomId: 'r5',
    userId: 'u7',
    instance: 'other',
    user: user(7),
    expiresAt: Date.now() + TTL,
  });
  b.resync();
  for (let i = 0; i < 200 && !changes.some((c) => c.user.id === 'u7'); i++) await new Promise((r) => setTimeout(r, 5));
  t.ok(
    changes.some((c) => c.roomId === 'r5' && c.user.id === 'u7' && c.online),
    'u7 reported online in r5',
  );
  const roomQueries = fake.finds.filter((f) => typeof f.roomId === 'object');
  t.equal(roomQueries.length, 2, '600 rooms read in two queries');
  t.ok(roomQueries.every((f) => typeof f.roomId === 'object' && f.roomId.$in.length <= 500));

  // ...and then left without the change stream saying so.
  fake.docs.delete('r5/u7/other');
  changes.length = 0;
  b.resync();
  for (let i = 0; i < 200 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  t.same(
    changes.map((c) => [c.roomId, c.user.id, c.online]),
    [['r5', 'u7', false]],
    'u7 reported offline, nothing else',
  );
});
