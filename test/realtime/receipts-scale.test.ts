import path from 'node:path';
import { rmSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { FastifyBaseLogger } from 'fastify';
import { Receipts } from '../../server/realtime/receipts.js';
import Database from 'better-sqlite3';
import { SqliteReceipts } from '../../server/store/sqlite/receipts.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { PublicUser, Watermarks } from '../../server/store/store.js';
import { api, newRoom, newUser, startApp, stream, tempDir } from '../helpers/app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = { error: () => {} } as unknown as FastifyBaseLogger;

/** A real SQLite store whose watermarks() counts its calls (the method is wrapped, the store is real). */
function countingStore(t: Test) {
  const dir = tempDir();
  const file = path.join(dir, 'parley.db');
  const store = new SqliteStore({ file, synchronous: 'NORMAL' });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const reads: string[] = [];
  const watermarks = store.watermarks.bind(store);
  store.watermarks = (roomId: string) => {
    reads.push(roomId);
    return watermarks(roomId);
  };
  let n = 0;
  const user = async (): Promise<PublicUser> => {
    const u = await store.createUser({
      username: `r${++n}`,
      email: `r${n}@example.com`,
      passwordHash: 'x',
      displayName: `r${n}`,
      gender: 'unspecified',
      avatar: null,
    });
    return { id: u.id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar };
  };
  const room = async (owner: PublicUser, members: PublicUser[]) => {
    const { room } = await store.createRoom({ name: 'storm', topic: '', kind: 'public', owner });
    await Promise.all(members.map((u) => store.addMember(room.id, u, 'member', u)));
    return room;
  };
  return { store, file, reads, watermarks, user, room };
}

t.test('a storm of 5,000 streams starting in one room reads its watermarks from the store once', async (t) => {
  const { store, reads, watermarks, user, room } = countingStore(t);
  const owner = await user();
  const r = await room(owner, [await user(), await user()]);
  await store.postMessage(r.id, owner, { text: 'hello', attachments: [] });
  const receipts = new Receipts(store, () => {}, log, 60_000);
  t.teardown(() => receipts.stop());

  const truth = await watermarks(r.id);
  const storm = await Promise.all(Array.from({ length: 5000 }, () => receipts.current(r.id)));
  t.equal(reads.length, 1, 'one read shared by 5,000 callers');
  t.ok(
    storm.every((m) => m.deliveredSeq === truth.deliveredSeq && m.readSeq === truth.readSeq),
    'and every caller got the store watermarks',
  );
  for (let i = 0; i < 5000; i++) await receipts.current(r.id);
  t.equal(reads.length, 1, 'callers after it, within the batch window, are answered from the cache');

  const other = await room(owner, []);
  await Promise.all([receipts.current(other.id), receipts.current(other.id)]);
  t.same(reads, [r.id, other.id], 'another room is read for itself, once');
});

t.test('cached watermarks are read again once a window old, and show what changed meanwhile', async (t) => {
  const { store, reads, user, room } = countingStore(t);
  const [owner, bob] = [await user(), await user()];
  const r = await room(owner, [bob]);
  const head = (await store.postMessage(r.id, owner, { text: 'read me', attachments: [] })).message.seq;
  const announced: Watermarks[] = [];
  const receipts = new Receipts(store, (_roomId, marks) => announced.push(marks), log, 50, 50);
  t.teardown(() => receipts.stop());
  const before = await receipts.current(r.id);
  t.ok(before.readSeq < head, 'bob has not read it');
  t.same(announced, [], 'a first read is for the stream that asked, not announced to the room');
  await store.markRead(r.id, bob.id, head); // behind Receipts' back, as another instance would
  await sleep(120);
  t.same(await receipts.current(r.id), { deliveredSeq: head, readSeq: head }, 'the next read shows it');
  t.equal(reads.length, 2);
  t.same(announced, [{ deliveredSeq: head, readSeq: head }], 'and tells the room that the marks moved');
});

t.test('a flush of 2,000 members records each one, and announces the new watermarks', async (t) => {
  const { store, user, room } = countingStore(t);
  const owner = await user();
  const members: PublicUser[] = [];
  for (let i = 0; i < 2000; i++) members.push(await user());
  const r = await room(owner, members);
  const first = (await store.postMessage(r.id, owner, { text: 'one', attachments: [] })).message.seq;
  const head = (await store.postMessage(r.id, owner, { text: 'two', attachments: [] })).message.seq;
  const announced: Watermarks[] = [];
  const receipts = new Receipts(store, (_roomId, marks) => announced.push(marks), log, 60_000);
  t.teardown(() => receipts.stop());

  // As the hub reports them: every member got both events, in order; one of them only the first.
  const slow = members[777]!;
  for (const seq of [first, head]) {
    for (const m of members) if (m !== slow || seq === first) receipts.delivered(r.id, m.id, seq);
  }
  receipts.delivered(r.id, members[5]!.id, first); // a lower seq after a higher one changes nothing
  await receipts.flush();

  const listed = await store.listMembers(r.id);
  const at = new Map(listed.map((m) => [m.userId, m.deliveredSeq]));
  t.equal(at.get(slow.id), first, 'the member who got only the first is there');
  t.ok(
    members.every((m) => m === slow || at.get(m.id) === head),
    'every other member is at the head',
  );
  t.same(announced, [await store.watermarks(r.id)], 'the watermarks were announced once');
  t.equal(announced[0]!.deliveredSeq, first, 'delivered-to-all waits for the slow member');

  receipts.delivered(r.id, slow.id, head);
  await receipts.flush();
  t.equal((await store.watermarks(r.id)).deliveredSeq, head, 'and moves once they catch up');
});

t.test('SQLite writes a big batch in several event-loop turns, every member recorded', async (t) => {
  const { store, file, user, room } = countingStore(t);
  const owner = await user();
  const members: PublicUser[] = [];
  for (let i = 0; i < 5000; i++) members.push(await user());
  const r = await room(owner, members);
  const head = (await store.postMessage(r.id, owner, { text: 'to all', attachments: [] })).message.seq;
  // The receipts module on a second connection to the same database, in slices of 1,000 members (10,000 in the store).
  const db = new Database(file);
  t.teardown(() => db.close());
  const receipts = new SqliteReceipts(db, 1000);
  let done = false;
  const writing = receipts.markDelivered(members.map((m) => ({ roomId: r.id, userId: m.id, seq: head })));
  void writing.then(() => (done = true));
  // Queued after the write began: it runs before the write ends only if the write gave the event loop back meanwhile.
  const ranBetween = await new Promise<boolean>((resolve) => setImmediate(() => resolve(!done)));
  await writing;
  t.ok(ranBetween, 'other work ran while 5,000 delivery marks were written');
  const listed = await store.listMembers(r.id);
  t.ok(
    listed.every((m) => m.userId === owner.id || m.deliveredSeq === head),
    'and every member is recorded',
  );
});

t.test('streams starting together in one room share one watermark read (hub.follow)', async (t) => {
  const dir = tempDir();
  const store = new SqliteStore({ file: path.join(dir, 'parley.db'), synchronous: 'NORMAL' });
  let reads = 0;
  const watermarks = store.watermarks.bind(store);
  store.watermarks = (roomId: string) => (reads++, watermarks(roomId));
  // No flush in the test's time: every read counted is a stream's start.
  const srv = await startApp({ store, env: { RECEIPT_BATCH_MS: '60000', MAX_STREAMS_PER_USER: '100' } });
  t.teardown(async () => {
    await srv.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = await newUser(srv.url);
  const room = await newRoom(srv.url, a);
  await api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, { token: a.token, body: { text: 'hi' } });
  const streams = await Promise.all(
    Array.from({ length: 40 }, () => stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token })),
  );
  t.teardown(() => streams.forEach((s) => s.close()));
  await Promise.all(streams.map((s) => s.waitForEphemeral((ev) => ev.some((e) => e.event === 'receipt'))));
  t.pass('all 40 streams got the room watermarks');
  t.equal(reads, 1, 'read from the store once, not once per stream');
});

/** Records which rooms each store write of delivery marks was for (the store is real, the method wrapped). */
function countWrites(store: SqliteStore, names: Record<string, string>) {
  const writes: string[][] = [];
  const markDelivered = store.markDelivered.bind(store);
  store.markDelivered = (entries) => {
    writes.push([...new Set(entries.map((e) => names[e.roomId] ?? e.roomId))].sort());
    return markDelivered(entries);
  };
  return writes;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !(await ok()); await sleep(10)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

const deliveredSeq = async (store: SqliteStore, roomId: string, userId: string) =>
  (await store.listMembers(roomId)).find((m) => m.userId === userId)!.deliveredSeq;

t.test(
  'a room with over 2,000 members waiting is written once per interval per 2,000, a small room each interval',
  async (t) => {
    const { store, user, room } = countingStore(t);
    const [owner, alice, bob] = [await user(), await user(), await user()];
    const small = await room(owner, [alice]);
    const big = await room(owner, [bob]);
    const post = async (roomId: string) =>
      (await store.postMessage(roomId, owner, { text: 'x', attachments: [] })).message.seq;
    const [s1, s2, b1, b2] = [await post(small.id), await post(small.id), await post(big.id), await post(big.id)];
    const writes = countWrites(store, { [small.id]: 'small', [big.id]: 'big' });
    const batchMs = 100;
    const receipts = new Receipts(store, () => {}, log, batchMs, 60_000);
    t.teardown(() => receipts.stop());
    // Bob and 10,000 more waiting in the big room: due every 6 intervals. The crowd has no memberships (the store skips
    // them), so that the test need not create 10,000 users; bob's stored mark shows when the room was written.
    const crowd = Array.from({ length: 10_000 }, (_, i) => `crowd-${i}`);
    const deliverBig = (seq: number) => {
      receipts.delivered(big.id, bob.id, seq);
      for (const id of crowd) receipts.delivered(big.id, id, seq);
    };

    receipts.delivered(small.id, alice.id, s1);
    deliverBig(b1);
    await until('the first write', async () => (await deliveredSeq(store, big.id, bob.id)) === b1);
    t.same(writes, [['big', 'small']], 'the first marks of each room are written at the first timer');

    deliverBig(b2);
    // The small room keeps getting marks, as a room with messages does.
    const feed = setInterval(() => receipts.delivered(small.id, alice.id, s2), 20);
    t.teardown(() => clearInterval(feed));
    await until('a second write', () => writes.length >= 2);
    await until('the small room written', async () => (await deliveredSeq(store, small.id, alice.id)) === s2);
    t.same(writes[1], ['small'], 'the next timer writes the small room only');
    t.equal(await deliveredSeq(store, big.id, bob.id), b1, 'the big room is not written yet');

    await until('the big room written', async () => (await deliveredSeq(store, big.id, bob.id)) === b2);
    clearInterval(feed);
    const next = writes.findIndex((rooms, i) => i > 0 && rooms.includes('big'));
    const between = writes.slice(1, next);
    t.ok(
      between.length >= 2 && between.every((rooms) => rooms.join() === 'small'),
      `the small room was written ${between.length} times alone before the big room's next write`,
    );
  },
);

t.test('flush(roomId) writes only that room; stop() writes the rest', async (t) => {
  const { store, user, room } = countingStore(t);
  const [owner, alice, bob] = [await user(), await user(), await user()];
  const a = await room(owner, [alice]);
  const b = await room(owner, [bob]);
  const seqA = (await store.postMessage(a.id, owner, { text: 'a', attachments: [] })).message.seq;
  const seqB = (await store.postMessage(b.id, owner, { text: 'b', attachments: [] })).message.seq;
  const writes = countWrites(store, { [a.id]: 'a', [b.id]: 'b' });
  const receipts = new Receipts(store, () => {}, log, 60_000);
  t.teardown(() => receipts.stop());
  receipts.delivered(a.id, alice.id, seqA);
  receipts.delivered(b.id, bob.id, seqB);

  await receipts.flush(a.id);
  t.same(writes, [['a']], 'one write, of room a only');
  t.equal(await deliveredSeq(store, a.id, alice.id), seqA, "room a's mark is stored");
  t.ok((await deliveredSeq(store, b.id, bob.id)) < seqB, "room b's is still waiting");

  await receipts.flush(a.id);
  t.same(writes, [['a']], 'nothing more waiting in room a: no write');

  await receipts.stop();
  t.same(writes, [['a'], ['b']], 'stop() writes what was waiting');
  t.equal(await deliveredSeq(store, b.id, bob.id), seqB);
});
