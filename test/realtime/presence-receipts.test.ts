import t from 'tap';
import { aloneInARoom, api, join, newRoom, newUser, post, serve, stream, twoInARoom } from '../helpers/app.js';
import type { MembersBody, Message, ReadBody, ReceiptsBody, RoomBody, RoomsBody } from '../helpers/bodies.js';
import { presenceEvents, statesOf } from '../helpers/presence.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('presence: several tabs count once, a blip does not flap, a new stream gets one snapshot', async (t) => {
  const env = { PRESENCE_GRACE_MS: '1500', PRESENCE_WINDOW_MS: '100' };
  const { srv, a: alice, b: bob, room } = await twoInARoom(t, { env });
  const watcher = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token });
  t.teardown(() => watcher.close());
  const presence = () => statesOf(watcher.ephemeral, bob.id);

  const tab1 = await stream(srv.url, '/api/events', { token: bob.token });
  await watcher.waitForEphemeral(() => presence().length === 1);
  t.same(presence(), [true], 'bob came online');
  const online = async (userId: string) =>
    (await api<MembersBody>(srv.url, 'GET', `/api/rooms/${room.id}/members`, { token: alice.token })).body.members.find(
      (m) => m.userId === userId,
    )!.online;
  t.equal(await online(bob.id), true, 'members list shows him online');

  const tab2 = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: bob.token });
  tab1.close();
  await sleep(2000);
  t.same(presence(), [true], 'a second tab, and closing the first, change nothing');

  tab2.close();
  await sleep(200);
  const back = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: bob.token });
  await sleep(2000);
  t.same(presence(), [true], 'a blip shorter than the grace period does not flap');
  const snapshots = presenceEvents(back.ephemeral);
  t.equal(snapshots.length, 1, "bob's new stream gets one presence event, not one per member online");
  const snapshot = snapshots[0]!.json;
  // In code-unit order, as [...].sort() orders the expected ids below (localeCompare would not: "c" < "J").
  snapshot.changes.sort((x: { userId: string }, y: { userId: string }) => (x.userId < y.userId ? -1 : 1));
  t.same(
    snapshot,
    {
      roomId: room.id,
      online: 2,
      changes: [alice.id, bob.id].sort().map((userId) => ({ userId, online: true })),
      complete: true,
      snapshot: true,
    },
    'a snapshot of who is online (alice was online before he connected)',
  );

  back.close();
  await watcher.waitForEphemeral(() => presence().length === 2, 5000);
  t.same(presence(), [true, false], 'offline once the grace period passes');
  t.equal(presenceEvents(watcher.ephemeral).at(-1)!.json.online, 1, 'the count went down with him');
  t.equal(await online(bob.id), false);
  t.equal(await online(alice.id), true);
});

t.test(
  'direct messages: one room per pair, also under concurrent creation from both sides; private to the two',
  async (t) => {
    const srv = await serve(t);
    const a = await newUser(srv.url);
    const b = await newUser(srv.url);
    const c = await newUser(srv.url);
    const calls = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api<RoomBody>(srv.url, 'POST', '/api/dms', {
          token: i % 2 ? a.token : b.token,
          body: { username: i % 2 ? b.username : a.username },
        }),
      ),
    );
    const ids = new Set(calls.map((r) => r.body.room.id));
    t.equal(ids.size, 1, 'one room, whoever asked and however many times');
    t.same(calls.map((r) => r.status).filter((s) => s === 201).length, 1, 'created exactly once');
    const room = calls[0]!.body.room;
    t.equal(room.kind, 'direct');
    const members = (await api<MembersBody>(srv.url, 'GET', `/api/rooms/${room.id}/members`, { token: a.token })).body
      .members;
    t.same(members.map((m) => m.userId).sort(), [a.id, b.id].sort());
    const aStream = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token });
    aStream.close();
    t.equal(aStream.status, 200, 'a member streams it');

    await post(srv.url, a, room.id, 'just us');
    for (const [method, url, body] of [
      ['GET', `/api/rooms/${room.id}`],
      ['GET', `/api/rooms/${room.id}/messages`],
      ['POST', `/api/rooms/${room.id}/messages`, { text: 'let me in' }],
      ['POST', `/api/rooms/${room.id}/join`],
      ['GET', `/api/rooms/${room.id}/members`],
    ] as const) {
      t.equal(
        (await api(srv.url, method, url, { token: c.token, body })).status,
        404,
        `a third user: ${method} ${url.split('/').slice(3).join('/')} -> 404`,
      );
    }
    const cStream = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: c.token });
    t.equal(cStream.status, 404, 'a third user cannot stream it');
    const cList = (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: c.token })).body.rooms;
    t.notOk(
      cList.some((r) => r.id === room.id),
      'nor see it listed',
    );
    const bList = (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: b.token })).body.rooms;
    t.equal(bList.find((r) => r.id === room.id)!.peer!.id, a.id, 'the list names the other person');
    t.equal(
      (await api(srv.url, 'POST', `/api/rooms/${room.id}/members`, { token: a.token, body: { username: c.username } }))
        .status,
      403,
      'nobody can be added',
    );
    t.equal(
      (await api(srv.url, 'POST', '/api/dms', { token: a.token, body: { username: a.username } })).status,
      400,
      'not with yourself',
    );
    t.equal(
      (await api(srv.url, 'POST', '/api/dms', { token: a.token, body: { username: 'nobody-at-all' } })).status,
      404,
    );
  },
);

t.test("delivery receipts: delivered-to-all moves only when every member's stream got the event", async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const c = await newUser(srv.url);
  await join(srv.url, c, room.id);
  const sa = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token });
  const sb = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: b.token });
  t.teardown(() => [sa, sb].forEach((s) => s.close()));
  const cJoinSeq = (await api<RoomBody>(srv.url, 'GET', `/api/rooms/${room.id}`, { token: a.token })).body.room.lastSeq;
  const m = await post(srv.url, a, room.id, 'two ticks?');
  await sb.waitFor((ev) => ev.length >= 1);
  await sleep(600); // receipts are batched
  const receipts = () => sa.ephemeral.filter((e) => e.event === 'receipt').map((e) => e.json.deliveredSeq);
  t.ok(
    receipts().every((d) => d < m.seq),
    `not delivered to all while carol has no stream (watermarks ${receipts()})`,
  );
  const pending = (
    await api<ReceiptsBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${m.seq}/receipts`, { token: a.token })
  ).body;
  t.same(
    pending.deliveredTo.map((u) => u.id),
    [b.id],
  );
  t.same(
    pending.pending.map((u) => u.id),
    [c.id],
  );

  const sc = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: c.token, lastEventId: String(cJoinSeq) });
  t.teardown(() => sc.close());
  await sc.waitFor((ev) => ev.length >= 1);
  await sa.waitForEphemeral((ev) => ev.some((e) => e.event === 'receipt' && e.json.deliveredSeq >= m.seq), 5000);
  t.pass("delivered-to-all reached the message once carol's stream got it");
  const after = (
    await api<ReceiptsBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${m.seq}/receipts`, { token: a.token })
  ).body;
  t.same(after.deliveredTo.map((u) => u.id).sort(), [b.id, c.id].sort());
  t.same(after.readBy, [], 'delivered is not read');
});

t.test('delivery also counts for history pages and for the position a stream resumes from', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const c = await newUser(srv.url);
  await join(srv.url, c, room.id);
  const m = await post(srv.url, a, room.id, 'sent while both were away');
  const receipts = async () =>
    (await api<ReceiptsBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${m.seq}/receipts`, { token: a.token }))
      .body;
  t.same((await receipts()).deliveredTo, [], 'nobody has it yet');
  await api(srv.url, 'GET', `/api/rooms/${room.id}/messages?limit=10`, { token: b.token });
  t.same(
    (await receipts()).deliveredTo.map((u) => u.id),
    [b.id],
    'bob loaded it in a history page',
  );
  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: c.token, lastEventId: String(m.seq) });
  t.teardown(() => s.close());
  await s.waitForEphemeral((ev) => ev.some((e) => e.event === 'receipt'));
  t.same(
    (await receipts()).deliveredTo.map((u) => u.id).sort(),
    [b.id, c.id].sort(),
    'carol resumed after it: she has it',
  );
});

t.test('read receipts: monotonic, capped at the head, readable per message; unread counts', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const posted: Message[] = [];
  for (let i = 0; i < 5; i++) posted.push(await post(srv.url, a, room.id, `m${i}`));
  const unreadOf = async () =>
    (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: b.token })).body.rooms.find((r) => r.id === room.id)!
      .unread;
  t.equal(await unreadOf(), 5, 'five unread for bob');
  const aRooms = (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: a.token })).body.rooms;
  t.equal(aRooms[0]!.unread, 0, 'own messages are never unread');

  const sa = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token });
  t.teardown(() => sa.close());
  const r1 = await api<ReadBody>(srv.url, 'POST', `/api/rooms/${room.id}/read`, {
    token: b.token,
    body: { seq: posted[3]!.seq },
  });
  t.equal(r1.body.readSeq, posted[3]!.seq);
  t.equal(await unreadOf(), 1);
  const r2 = await api<ReadBody>(srv.url, 'POST', `/api/rooms/${room.id}/read`, {
    token: b.token,
    body: { seq: posted[1]!.seq },
  });
  t.equal(r2.body.readSeq, posted[3]!.seq, 'a lower value is ignored');
  const r3 = await api<ReadBody>(srv.url, 'POST', `/api/rooms/${room.id}/read`, {
    token: b.token,
    body: { seq: 10_000 },
  });
  t.equal(r3.body.readSeq, posted[4]!.seq, 'capped at the room head');
  t.equal(await unreadOf(), 0);
  await sa.waitForEphemeral((ev) => ev.some((e) => e.event === 'receipt' && e.json.readSeq >= posted[4]!.seq));
  t.pass('the read-by-all watermark reached the room');
  const who = (
    await api<ReceiptsBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${posted[2]!.seq}/receipts`, {
      token: a.token,
    })
  ).body;
  t.same(
    who.readBy.map((u) => u.id),
    [b.id],
  );
  t.equal(
    (await api(srv.url, 'POST', `/api/rooms/${room.id}/read`, { token: b.token, body: { seq: -1 } })).status,
    400,
  );
});

t.test('typing: to the others only, coalesced, expiring, rate limited', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const sa = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token });
  const sb = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: b.token });
  t.teardown(() => [sa, sb].forEach((s) => s.close()));
  for (let i = 0; i < 5; i++)
    t.equal((await api(srv.url, 'POST', `/api/rooms/${room.id}/typing`, { token: b.token })).status, 204);
  await sa.waitForEphemeral((ev) => ev.some((e) => e.event === 'typing'));
  await sleep(300);
  const typing = sa.ephemeral.filter((e) => e.event === 'typing');
  t.equal(typing.length, 1, 'five calls in a burst make one notice');
  t.equal(typing[0]!.json.user.id, b.id);
  t.ok(typing[0]!.json.expiresInMs > 0, 'the notice says when it expires');
  t.notOk(
    sb.ephemeral.some((e) => e.event === 'typing'),
    'not sent to the typist',
  );
  let status = 204;
  for (let i = 0; i < 100 && status === 204; i++)
    status = (await api(srv.url, 'POST', `/api/rooms/${room.id}/typing`, { token: b.token })).status;
  t.equal(status, 429, 'a flood is refused');
  t.equal(sa.events.length, 0, 'typing never enters the log');
});

t.test('profile changes reach every room of the user as member.updated', async (t) => {
  const { srv, a, room: r1 } = await aloneInARoom(t);
  const r2 = await newRoom(srv.url, a);
  const s = await stream(srv.url, '/api/events', { token: a.token });
  t.teardown(() => s.close());
  await api(srv.url, 'PATCH', '/api/me', { token: a.token, body: { displayName: 'Ada', avatar: 'owl' } });
  await s.waitFor((ev) => ev.length >= 2);
  t.same(
    s.events.map((e) => [e.event, e.json.roomId]).sort(),
    [
      ['member.updated', r1.id],
      ['member.updated', r2.id],
    ].sort(),
  );
  t.equal(s.events[0]!.json.payload.user.displayName, 'Ada');
  t.equal(s.events[0]!.json.payload.user.avatar, 'owl');
});
