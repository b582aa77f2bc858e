import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { newRoom, newUser, post, startApp, stream, type TestApp, type TestUser } from '../helpers/app.js';
import type { SseStream } from '../helpers/sse.js';

/**
 * The ids of /api/events name a stored base and the rooms that moved since (realtime/stream-cursor.ts): short
 * whatever the number of rooms, resumable exactly once, after a restart too, and a base that is gone makes the
 * stream reset its rooms rather than guess.
 */

const ROOMS = 30;

const texts = (s: SseStream) =>
  s
    .stored()
    .filter((e) => e.event === 'message.created')
    .map((e) => e.json.payload.message.text as string);

/** A user in ROOMS rooms, and a stream of theirs that is live in all of them. */
async function inManyRooms(srv: TestApp) {
  const alice = await newUser(srv.url);
  const rooms = [];
  for (let i = 0; i < ROOMS; i++) rooms.push(await newRoom(srv.url, alice, { name: `room ${i}` }));
  const live = await openLive(srv, alice);
  return { alice, rooms, live };
}

async function openLive(srv: TestApp, user: TestUser, lastEventId?: string): Promise<SseStream> {
  const s = await stream(srv.url, '/api/events', { token: user.token, lastEventId });
  await s.waitForEphemeral((e) => e.filter((x) => x.event === 'receipt').length >= ROOMS, 10_000, 'live everywhere');
  return s;
}

t.test('a member of 30 rooms: short ids, and a resume gets what was missed exactly once', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const { alice, rooms, live } = await inManyRooms(srv);
  await post(srv.url, alice, rooms[5]!.id, 'first');
  await live.waitFor(() => texts(live).length === 1);
  const id = live.lastId()!;
  // The full form would be 30 rooms of 23 bytes: 690.
  t.ok(id.length <= 20, `the id after a post in one room is ${id.length} bytes: ${id}`);
  live.close();

  const missed: string[] = [];
  for (const i of [0, 5, 29, 5, 17]) {
    const text = `missed in ${i} (${missed.length})`;
    missed.push(text);
    await post(srv.url, alice, rooms[i]!.id, text);
  }
  const resumed = await openLive(srv, alice, id);
  t.teardown(() => resumed.close());
  await resumed.waitFor(() => texts(resumed).length >= missed.length, 5000, 'the missed posts');
  await post(srv.url, alice, rooms[1]!.id, 'marker');
  await resumed.waitFor(() => texts(resumed).includes('marker'));
  t.same(texts(resumed).sort(), [...missed, 'marker'].sort(), 'each missed post once, nothing else');
  const ids = resumed.stored().map((e) => e.id!);
  t.ok(Math.max(...ids.map((i) => i.length)) <= 60, `every id is short (${ids.join(' ')})`);

  // The full form, which servers before bases sent, still resumes.
  const full = rooms.map((r) => `${r.id}:1`).join(',');
  const old = await openLive(srv, alice, full);
  t.teardown(() => old.close());
  await old.waitFor(() => texts(old).includes('marker'));
  t.same(texts(old).sort(), ['first', ...missed, 'marker'].sort(), 'from every room at 1: every post since');
});

t.test('ids survive a restart; a base that is gone resets its rooms instead of guessing', async (t) => {
  const first = await startApp({ keepData: true });
  const dataDir = first.dataDir;
  t.teardown(() => first.close());
  const { alice, rooms, live } = await inManyRooms(first);
  await post(first.url, alice, rooms[3]!.id, 'before the restart');
  await live.waitFor(() => texts(live).length === 1);
  const id = live.lastId()!;
  live.close();
  await first.close();

  const second = await startApp({ dataDir });
  t.teardown(() => second.close());
  await post(second.url, alice, rooms[3]!.id, 'after the restart');
  await post(second.url, alice, rooms[8]!.id, 'elsewhere after the restart');
  const resumed = await openLive(second, alice, id);
  await resumed.waitFor(() => texts(resumed).length >= 2);
  t.same(texts(resumed).sort(), ['after the restart', 'elsewhere after the restart'], 'resumed from the stored base');
  t.notOk(
    resumed.events.some((e) => e.event === 'reset'),
    'no reset',
  );
  resumed.close();
  await second.close();

  // Forgotten (as after 30 days unused): the rooms the id does not spell out are reset at their heads.
  const db = new Database(path.join(dataDir, 'parley.db'));
  t.equal(db.prepare('DELETE FROM cursor_bases').run().changes > 0, true, 'the bases were stored');
  db.close();
  const third = await startApp({ dataDir });
  t.teardown(() => third.close());
  await post(third.url, alice, rooms[8]!.id, 'missed: lost with the base');
  const reset = await openLive(third, alice, id);
  t.teardown(() => reset.close());
  const resets = reset.events.filter((e) => e.event === 'reset');
  t.equal(resets.length, ROOMS, 'one reset a room');
  // The id the client sent: dropping before the stream's new position comes back to the same resets.
  t.ok(
    resets.every((e) => e.id === id),
    'each reset carries the id the client sent',
  );
  t.ok(
    resets.every((e) => e.json.reason === 'too-old'),
    'told to refetch',
  );
  t.equal(resets.find((e) => e.json.roomId === rooms[8]!.id)?.json.lastSeq, 3, 'from the head');
  t.same(texts(reset), [], 'nothing replayed');
  await post(third.url, alice, rooms[8]!.id, 'live after the reset');
  await reset.waitFor(() => texts(reset).length === 1);
  t.same(texts(reset), ['live after the reset']);

  // The ids it sends meanwhile resume normally.
  const after = reset.lastId()!;
  reset.close();
  await post(third.url, alice, rooms[0]!.id, 'after that');
  const again = await openLive(third, alice, after);
  t.teardown(() => again.close());
  await again.waitFor(() => texts(again).length === 1);
  t.same(texts(again), ['after that']);
  t.notOk(
    again.events.some((e) => e.event === 'reset'),
    'no reset',
  );
});
