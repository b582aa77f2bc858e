import path from 'node:path';
import t from 'tap';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { Store } from '../../server/store/store.js';
import { api, newMembers, newRoom, newUser, post, startApp, stream, tempDir } from '../helpers/app.js';
import type { SseStream } from '../helpers/sse.js';

/**
 * Streams that resume at about the same place share their replay: the recent past of a room is kept encoded in
 * memory (realtime/replay-cache.ts), and a store page that several streams need at once is read once
 * (realtime/replay-pages.ts). The store is the real SQLite store, seen through a wrapper that counts its log reads.
 */
function countingStore(inner: SqliteStore): { store: Store; reads: () => number } {
  let reads = 0;
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'eventsAfter') {
        return (...args: Parameters<Store['eventsAfter']>) => {
          reads++;
          return target.eventsAfter(...args);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Store;
  return { store, reads: () => reads };
}

async function serveCounting(t: { teardown(fn: () => unknown): void }, dataDir: string) {
  const inner = new SqliteStore({ file: path.join(dataDir, 'parley.db'), synchronous: 'NORMAL' });
  const counting = countingStore(inner);
  const srv = await startApp({ store: counting.store, dataDir, keepData: true, env: MANY });
  t.teardown(async () => {
    await srv.close();
    await inner.close();
  });
  return { srv, reads: counting.reads };
}

/** Many distinct people register from this one address. */
const MANY = { REGISTER_MAX_PER_IP: '1000' };

const messageSeqs = (s: SseStream) => s.stored().map((e) => Number(e.id));

t.test('after a restart, members resuming at once from one position read the store once, not once each', async (t) => {
  const dataDir = tempDir();
  const first = await startApp({ dataDir, keepData: true, env: MANY });
  const owner = await newUser(first.url);
  const room = await newRoom(first.url, owner, { kind: 'public' });
  const members = await newMembers(first.url, room.id, 30);
  const resumeAt = (await api(first.url, 'GET', `/api/rooms/${room.id}`, { token: owner.token })).body.room.lastSeq;
  for (let i = 0; i < 30; i++) await post(first.url, owner, room.id, `missed ${i}`);
  await first.close();

  // A new process: nothing in memory. Every member comes back at once, 30 events behind.
  const { srv, reads } = await serveCounting(t, dataDir);
  const streams = await Promise.all(
    members.map((m) =>
      stream(srv.url, `/api/rooms/${room.id}/events`, { token: m.token, lastEventId: String(resumeAt) }),
    ),
  );
  t.teardown(() => streams.forEach((s) => s.close()));
  const expected = Array.from({ length: 30 }, (_, i) => resumeAt + 1 + i);
  await Promise.all(streams.map((s) => s.waitFor((e) => e.length >= 30, 10_000, 'the missed events')));
  for (const s of streams) t.same(messageSeqs(s), expected, 'every missed event once, in order');
  t.ok(reads() < 10, `${members.length} resuming streams made ${reads()} store reads of the log`);
});

t.test(
  'recent events are replayed from memory, and an edit or delete never lets memory serve the old text',
  async (t) => {
    const { srv, reads } = await serveCounting(t, tempDir());
    const alice = await newUser(srv.url);
    const room = await newRoom(srv.url, alice);
    const posted = [];
    for (const text of ['one', 'two', 'three', 'four']) posted.push(await post(srv.url, alice, room.id, text));

    const before = reads();
    const fresh = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: '1' });
    await fresh.waitFor((e) => e.length >= 4);
    fresh.close();
    t.equal(reads(), before, 'a replay of what the feed just carried reads nothing from the store');

    const edit = await api(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${posted[1]!.seq}`, {
      token: alice.token,
      body: { text: 'two, edited' },
    });
    t.equal(edit.status, 200);
    const del = await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${posted[2]!.seq}`, {
      token: alice.token,
    });
    t.equal(del.status, 204);

    const replay = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: '1' });
    t.teardown(() => replay.close());
    await replay.waitFor((e) => e.some((x) => x.event === 'message.deleted'));
    const created = replay.stored().filter((e) => e.event === 'message.created');
    const texts = created.map((e) => e.json.payload.message.text as string | null);
    t.same(texts, ['one', 'two, edited', null, 'four'], 'the copies as the log has them now');
    t.notOk(replay.body.includes('"two"'), 'the text before the edit is not served');
    t.notOk(replay.body.includes('"three"'), 'the deleted text is not served');
  },
);

t.test('a storm of distinct members reconnecting while messages are posted: each gets everything once', async (t) => {
  const { srv } = await serveCounting(t, tempDir());
  const owner = await newUser(srv.url);
  const room = await newRoom(srv.url, owner, { kind: 'public' });
  const members = await newMembers(srv.url, room.id, 40);
  const start = (await api(srv.url, 'GET', `/api/rooms/${room.id}`, { token: owner.token })).body.room.lastSeq;
  for (let i = 0; i < 20; i++) await post(srv.url, owner, room.id, `before ${i}`);

  // Everyone reconnects at once from `start`, while the owner keeps posting.
  let posting = true;
  const poster = (async () => {
    let i = 0;
    while (posting) await post(srv.url, owner, room.id, `during ${i++}`);
  })();
  const streams = await Promise.all(
    members.map((m) => stream(srv.url, `/api/rooms/${room.id}/events`, { token: m.token, lastEventId: String(start) })),
  );
  t.teardown(() => streams.forEach((s) => s.close()));
  await Promise.all(streams.map((s) => s.waitFor((e) => e.length >= 25, 10_000)));
  posting = false;
  await poster;
  const head = (await api(srv.url, 'GET', `/api/rooms/${room.id}`, { token: owner.token })).body.room.lastSeq;
  await Promise.all(streams.map((s) => s.waitFor((e) => e.length >= head - start, 10_000, 'every event')));
  const expected = Array.from({ length: head - start }, (_, i) => start + 1 + i);
  let exact = 0;
  for (const s of streams) if (JSON.stringify(messageSeqs(s)) === JSON.stringify(expected)) exact++;
  t.equal(exact, streams.length, `all ${streams.length} streams got seq ${start + 1}-${head} exactly once, in order`);
});

t.test(
  'a stream opened at the head of quiet rooms reads nothing from the log, and still gets what follows',
  async (t) => {
    const { srv } = await serveCounting(t, tempDir());
    const alice = await newUser(srv.url);
    const rooms = [];
    for (let i = 0; i < 12; i++) rooms.push(await newRoom(srv.url, alice, { name: `quiet ${i}` }));
    // A new process would have none of these rooms in the replay cache: restart onto the same data.
    await srv.close();
    const again = await serveCounting(t, srv.dataDir);
    const s = await stream(again.srv.url, '/api/events', { token: alice.token });
    t.teardown(() => s.close());
    await s.waitForEphemeral((e) => e.filter((x) => x.event === 'receipt').length === rooms.length);
    t.equal(again.reads(), 0, `live in ${rooms.length} rooms at their heads without reading the log`);
    await post(again.srv.url, alice, rooms[7]!.id, 'after');
    await s.waitFor((e) => e.some((x) => x.json?.payload?.message?.text === 'after'));
    t.same(
      s.stored().map((e) => e.json.seq),
      [2],
      'the next event, once',
    );

    // Resuming one event behind in one room: that room is read, the others are not.
    const id = s.lastId()!;
    s.close();
    await post(again.srv.url, alice, rooms[3]!.id, 'missed');
    const before = again.reads();
    const resumed = await stream(again.srv.url, '/api/events', { token: alice.token, lastEventId: id });
    t.teardown(() => resumed.close());
    await resumed.waitFor((e) => e.some((x) => x.json?.payload?.message?.text === 'missed'));
    t.ok(again.reads() - before <= 1, `one room behind: ${again.reads() - before} reads`);
  },
);

t.test('a read of the room that lags the feed does not hide the event a stream starts following at', async (t) => {
  const dir = tempDir();
  const inner = new SqliteStore({ file: path.join(dir, 'parley.db'), synchronous: 'NORMAL' });
  // getRoom answers one event behind for one room, as a just-elected MongoDB primary might for a moment.
  let lagging = '';
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'getRoom') {
        return async (id: string) => {
          const room = await target.getRoom(id);
          return room && id === lagging ? { ...room, lastSeq: room.lastSeq - 1 } : room;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Store;
  const srv = await startApp({ store, dataDir: dir, keepData: true, env: MANY });
  t.teardown(async () => {
    await srv.close();
    await inner.close();
  });
  const alice = await newUser(srv.url);
  const bob = await newUser(srv.url);
  const room = await newRoom(srv.url, bob, { name: 'later', kind: 'public' });
  const s = await stream(srv.url, '/api/events', { token: alice.token });
  t.teardown(() => s.close());
  await s.waitForEphemeral(() => true);
  lagging = room.id;
  // Joining while connected: the stream starts following the room at the join (seq 2), from seq 1.
  const joined = await api(srv.url, 'POST', `/api/rooms/${room.id}/join`, { token: alice.token });
  t.ok(joined.status < 300, `joined (${joined.status})`);
  await s.waitFor((e) => e.some((x) => x.event === 'member.joined' && x.json.roomId === room.id), 5000, 'the join');
  t.same(
    s.stored().map((e) => `${e.event}#${e.json.seq}`),
    ['member.joined#2'],
    'the join itself, with no later event needed to reveal it',
  );
});
