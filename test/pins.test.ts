import t from 'tap';
import { api, join, newRoom, newUser, post, stream, twoInARoom } from './helpers/app.js';
import type { ErrorBody, Message, PublicUser } from './helpers/bodies.js';

interface PinAnswer {
  seq: number;
  pinned: boolean;
  changed: boolean;
}
interface PinsBody {
  pins: Array<{ message: Message; by: PublicUser; at: string }>;
}

t.test('pins: owner and admins pin and unpin; members may not; the list is newest first', async (t) => {
  const { srv, a: owner, b: member, room } = await twoInARoom(t);
  const admin = await newUser(srv.url);
  await join(srv.url, admin, room.id);
  const promoted = await api(srv.url, 'PATCH', `/api/rooms/${room.id}/members/${admin.id}`, {
    token: owner.token,
    body: { role: 'admin' },
  });
  t.equal(promoted.status, 200);
  const first = await post(srv.url, member, room.id, 'first');
  const second = await post(srv.url, member, room.id, 'second');
  const pin = (token: string, method: 'PUT' | 'DELETE', seq: number) =>
    api<PinAnswer & ErrorBody>(srv.url, method, `/api/rooms/${room.id}/pins/${seq}`, { token });
  const pins = async (token = owner.token) =>
    api<PinsBody & ErrorBody>(srv.url, 'GET', `/api/rooms/${room.id}/pins`, { token });

  const head = (await srv.store.getRoom(room.id))!.lastSeq;
  const refused = await pin(member.token, 'PUT', first.seq);
  t.equal(refused.status, 403, 'a member may not pin');
  t.equal(refused.body.error.code, 'PIN_FORBIDDEN');
  t.equal((await srv.store.getRoom(room.id))!.lastSeq, head, 'and nothing is stored');

  t.same((await pin(owner.token, 'PUT', first.seq)).body, { seq: first.seq, pinned: true, changed: true });
  t.same((await pin(owner.token, 'PUT', first.seq)).body, { seq: first.seq, pinned: true, changed: false }, 'again');
  t.equal((await pin(admin.token, 'PUT', second.seq)).status, 200, 'an admin pins');

  const list = await pins(member.token);
  t.equal(list.status, 200, 'members see the pins');
  t.same(
    list.body.pins.map((p) => [p.message.seq, p.message.text, p.by.id]),
    [
      [second.seq, 'second', admin.id],
      [first.seq, 'first', owner.id],
    ],
    'newest pin first, with who pinned it',
  );
  t.ok(list.body.pins.every((p) => Array.isArray(p.message.reactions) && !Number.isNaN(Date.parse(p.at))));

  t.equal((await pin(member.token, 'DELETE', second.seq)).body.error.code, 'PIN_FORBIDDEN', 'nor unpin');
  t.same((await pin(admin.token, 'DELETE', first.seq)).body, { seq: first.seq, pinned: false, changed: true });
  t.same((await pin(admin.token, 'DELETE', first.seq)).body.changed, false, 'unpinning again changes nothing');
  t.same(
    (await pins()).body.pins.map((p) => p.message.seq),
    [second.seq],
  );

  // Editing keeps the pin; deleting removes it (and the message's reactions).
  await api(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${second.seq}`, {
    token: member.token,
    body: { text: 'second, edited' },
  });
  t.same(
    (await pins()).body.pins.map((p) => p.message.text),
    ['second, edited'],
  );
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${second.seq}`, { token: member.token });
  t.same((await pins()).body.pins, [], 'a deleted message is no longer pinned');
  const onDeleted = await pin(owner.token, 'PUT', second.seq);
  t.equal(onDeleted.status, 404);
  t.equal(onDeleted.body.error.code, 'MESSAGE_NOT_FOUND');
});

t.test('pins: bad targets, strangers and the limit of 50', async (t) => {
  const { srv, a: owner, room } = await twoInARoom(t);
  const pin = (token: string, roomId: string, seq: number | string) =>
    api<PinAnswer & ErrorBody>(srv.url, 'PUT', `/api/rooms/${roomId}/pins/${seq}`, { token });
  t.equal((await pin(owner.token, room.id, 999)).body.error.code, 'MESSAGE_NOT_FOUND');
  t.equal((await pin(owner.token, room.id, 1)).body.error.code, 'MESSAGE_NOT_FOUND', 'seq 1 is a join');
  const bad = await pin(owner.token, room.id, 'abc');
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'VALIDATION_FAILED');
  const stranger = await newUser(srv.url);
  const m = await post(srv.url, owner, room.id, 'x');
  t.equal((await pin(stranger.token, room.id, m.seq)).body.error.code, 'NOT_A_MEMBER');
  const listed = await api<ErrorBody>(srv.url, 'GET', `/api/rooms/${room.id}/pins`, { token: stranger.token });
  t.equal(listed.body.error.code, 'NOT_A_MEMBER');
  const other = await newRoom(srv.url, stranger, { name: 'elsewhere', kind: 'private' });
  t.equal((await pin(owner.token, other.id, 2)).body.error.code, 'ROOM_NOT_FOUND');

  const seqs: number[] = [m.seq];
  for (let i = 0; i < 50; i++) seqs.push((await post(srv.url, owner, room.id, `m${i}`)).seq);
  for (const seq of seqs.slice(0, 50)) t.equal((await pin(owner.token, room.id, seq)).status, 200);
  const over = await pin(owner.token, room.id, seqs[50]!);
  t.equal(over.status, 409);
  t.equal(over.body.error.code, 'TOO_MANY_PINS');
});

t.test('pins: both people pin in a direct conversation', async (t) => {
  const { srv, a, b } = await twoInARoom(t);
  const dm = await api(srv.url, 'POST', '/api/dms', { token: a.token, body: { username: b.username } });
  const roomId = dm.body.room.id as string;
  const m = await post(srv.url, a, roomId, 'remember this');
  const res = await api<PinAnswer>(srv.url, 'PUT', `/api/rooms/${roomId}/pins/${m.seq}`, { token: b.token });
  t.equal(res.status, 200);
});

t.test('pin events: live and exactly once on resume', async (t) => {
  const { srv, a: owner, b: member, room } = await twoInARoom(t);
  const m = await post(srv.url, member, room.id, 'pin me');
  const live = await stream(srv.url, `/api/rooms/${room.id}/events`, {
    token: member.token,
    lastEventId: String(m.seq),
  });
  t.teardown(() => live.close());
  await api(srv.url, 'PUT', `/api/rooms/${room.id}/pins/${m.seq}`, { token: owner.token });
  await api(srv.url, 'PUT', `/api/rooms/${room.id}/pins/${m.seq}`, { token: owner.token });
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/pins/${m.seq}`, { token: owner.token });
  await api(srv.url, 'PUT', `/api/rooms/${room.id}/pins/${m.seq}`, { token: owner.token });
  await post(srv.url, owner, room.id, 'end');
  await live.waitFor((ev) => ev.some((e) => e.event === 'message.created'));
  t.same(
    live.events.map((e) => e.event),
    ['message.pinned', 'message.unpinned', 'message.pinned', 'message.created'],
  );
  const pinned = live.events[0]!;
  t.equal(pinned.json.payload.seq, m.seq);
  t.equal(pinned.json.payload.message.text, 'pin me', 'the event carries the message');
  t.equal(pinned.json.actor.id, owner.id, 'and who pinned it');

  const resumed = await stream(srv.url, `/api/rooms/${room.id}/events`, {
    token: member.token,
    lastEventId: live.events[0]!.id,
  });
  t.teardown(() => resumed.close());
  await resumed.waitFor((ev) => ev.some((e) => e.event === 'message.created'));
  t.same(
    resumed.events.map((e) => e.event),
    ['message.unpinned', 'message.pinned', 'message.created'],
    'once each, in order',
  );

  // Deleting the message: its message.deleted event is the only one (the pin goes with it).
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${m.seq}`, { token: member.token });
  await live.waitFor((ev) => ev.some((e) => e.event === 'message.deleted'));
  t.equal(live.events.at(-1)!.event, 'message.deleted');
  const replay = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: member.token, lastEventId: '0' });
  t.teardown(() => replay.close());
  await replay.waitFor((ev) => ev.some((e) => e.event === 'message.deleted'));
  t.notMatch(replay.events.map((e) => e.data).join('\n'), /pin me/, 'no copy of the deleted text in the log');
});
