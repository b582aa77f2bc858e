import t from 'tap';
import { api, join, newUser, post, stream, twoInARoom } from './helpers/app.js';

/** Mentions over HTTP and the streams: stored with the message, counted per room, the inbox, notification levels. */

interface Entry {
  id: string;
  unread: number;
  unreadMentions: number;
  membership: { notify: string; muted: boolean } | null;
}
const roomsOf = async (base: string, token: string) =>
  (await api<{ rooms: Entry[] }>(base, 'GET', '/api/rooms', { token })).body.rooms;

t.test('a message mentions members by name, @room and @here; counted until read; its events carry them', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const c = await newUser(srv.url);
  await join(srv.url, c, room.id);
  // b follows the room (online); c does not.
  const bStream = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: b.token });
  t.teardown(() => bStream.close());
  for (let i = 0; ; i++) {
    const res = await api(srv.url, 'GET', `/api/rooms/${room.id}/members`, { token: a.token });
    if (res.body.members.find((m: { userId: string; online: boolean }) => m.userId === b.id)?.online) break;
    if (i > 200) throw new Error('b never came online');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const named = await post(srv.url, a, room.id, `hey @${b.username.toUpperCase()} and @nobody`);
  t.same(named.mentions, [b.id]);
  const here = await post(srv.url, a, room.id, '@here standup');
  t.match(here, { mentions: [], mentionsHere: true, mentionsRoom: false });
  await bStream.waitFor((ev) => ev.some((e) => e.json?.payload?.message?.seq === here.seq));
  const created = bStream.events.find((e) => e.json?.payload?.message?.seq === named.seq)!;
  t.same(created.json.payload.message.mentions, [b.id], 'the stream event carries the mentions');

  t.match(
    (await roomsOf(srv.url, b.token)).find((r) => r.id === room.id),
    { unread: 2, unreadMentions: 2 },
  );
  t.match(
    (await roomsOf(srv.url, c.token)).find((r) => r.id === room.id),
    { unread: 2, unreadMentions: 0 },
    '@here passed c by: offline when it was sent',
  );
  await api(srv.url, 'POST', `/api/rooms/${room.id}/read`, { token: b.token, body: { seq: named.seq } });
  t.match(
    (await roomsOf(srv.url, b.token)).find((r) => r.id === room.id),
    { unread: 1, unreadMentions: 1 },
  );

  // An edit resolves again: c named now, and the edited event carries it.
  const edit = await api(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${named.seq}`, {
    token: a.token,
    body: { text: `sorry, I meant @${c.username}` },
  });
  t.same(edit.body.message.mentions, [c.id]);
  await bStream.waitFor((ev) => ev.some((e) => e.event === 'message.edited'));
  t.same(bStream.events.find((e) => e.event === 'message.edited')!.json.payload.message.mentions, [c.id]);
  t.match(
    (await roomsOf(srv.url, c.token)).find((r) => r.id === room.id),
    { unreadMentions: 1 },
  );
  const history = await api(srv.url, 'GET', `/api/rooms/${room.id}/messages`, { token: c.token });
  t.same(history.body.messages.find((m: { seq: number }) => m.seq === named.seq).mentions, [c.id], 'in history');
});

t.test('GET /api/mentions: my mentions across rooms, newest first, paged; bad cursors are 400', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const other = (await api(srv.url, 'POST', '/api/rooms', { token: a.token, body: { name: 'other' } })).body.room;
  await join(srv.url, b, other.id);
  const seqs: Array<[string, number]> = [];
  for (let i = 0; i < 3; i++) {
    for (const r of [room, other]) {
      const m = await post(srv.url, a, r.id, `@${b.username} ${i}`);
      seqs.unshift([r.id, m.seq]);
      await post(srv.url, a, r.id, 'unrelated');
    }
  }
  await post(srv.url, b, room.id, `@${b.username} me`);
  const first = await api(srv.url, 'GET', '/api/mentions?limit=4', { token: b.token });
  t.equal(first.status, 200);
  t.equal(first.body.mentions.length, 4);
  t.match(first.body.mentions[0], { room: { id: other.id, name: 'other' }, message: { author: { id: a.id } } });
  const next = await api(srv.url, 'GET', `/api/mentions?limit=4&before=${first.body.nextBefore}`, { token: b.token });
  t.equal(next.body.nextBefore, null, 'the last page');
  const all = [...first.body.mentions, ...next.body.mentions].map((e: { message: { roomId: string; seq: number } }) => [
    e.message.roomId,
    e.message.seq,
  ]);
  t.same(all, seqs, 'every mention once, newest first');

  const bad = await api(srv.url, 'GET', '/api/mentions?before=nonsense', { token: b.token });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'VALIDATION_FAILED');
  t.match(bad.body.error.details, [{ path: 'query.before' }]);
  t.equal((await api(srv.url, 'GET', '/api/mentions?limit=0', { token: b.token })).status, 400);
  t.equal((await api(srv.url, 'GET', '/api/mentions')).status, 401);
  t.same((await api(srv.url, 'GET', '/api/mentions', { token: a.token })).body.mentions, [], 'a was never mentioned');
});

t.test('PATCH membership: level and mute, everywhere the membership is, to my other streams only', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  t.match((await roomsOf(srv.url, b.token)).find((r) => r.id === room.id)?.membership, {
    notify: 'mentions',
    muted: false,
  });
  const dm = await api(srv.url, 'POST', '/api/dms', { token: a.token, body: { username: b.username } });
  t.match((await roomsOf(srv.url, b.token)).find((r) => r.id === dm.body.room.id)?.membership, { notify: 'all' });

  const mine = await stream(srv.url, '/api/events', { token: b.token });
  const theirs = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token });
  t.teardown(() => (mine.close(), theirs.close()));
  const url = `/api/rooms/${room.id}/membership`;

  const bad = await api(srv.url, 'PATCH', url, { token: b.token, body: { notify: 'loud', muted: true } });
  t.equal(bad.status, 400);
  t.match(bad.body.error, { code: 'VALIDATION_FAILED', details: [{ path: 'body.notify' }] }, 'names the field');
  t.equal((await api(srv.url, 'PATCH', url, { token: b.token, body: {} })).status, 400, 'nothing to set');
  t.equal((await api(srv.url, 'PATCH', url, { token: b.token, body: { muted: 'yes' } })).status, 400);
  t.match(
    (await roomsOf(srv.url, b.token)).find((r) => r.id === room.id)?.membership,
    { notify: 'mentions', muted: false },
    'bad input changed nothing',
  );

  const ok = await api(srv.url, 'PATCH', url, { token: b.token, body: { notify: 'none', muted: true } });
  t.equal(ok.status, 200);
  t.match(ok.body.membership, { roomId: room.id, userId: b.id, notify: 'none', muted: true });
  t.match((await roomsOf(srv.url, b.token)).find((r) => r.id === room.id)?.membership, { notify: 'none', muted: true });
  // The members list carries it on b's own entry; a does not learn that b muted the room.
  const members = (token: string) => api(srv.url, 'GET', `/api/rooms/${room.id}/members`, { token });
  const entryOfB = async (token: string) =>
    (await members(token)).body.members.find((m: { userId: string }) => m.userId === b.id);
  t.match(await entryOfB(b.token), { notify: 'none', muted: true });
  t.notOk('muted' in (await entryOfB(a.token)), "not on b's entry as a sees it");

  await mine.waitForEphemeral((ev) => ev.some((e) => e.event === 'membership'));
  t.match(mine.ephemeral.find((e) => e.event === 'membership')!.json, {
    roomId: room.id,
    membership: { notify: 'none', muted: true },
  });
  // a's stream of the room hears a's own later change but never b's.
  await api(srv.url, 'PATCH', url, { token: a.token, body: { notify: 'all' } });
  await theirs.waitForEphemeral((ev) => ev.some((e) => e.event === 'membership'));
  t.same(
    theirs.ephemeral.filter((e) => e.event === 'membership').map((e) => e.json.membership.userId),
    [a.id],
    "another member's settings are not sent to me",
  );
  t.equal(mine.stored().length, 0, 'no room event for a preference');

  const stranger = await newUser(srv.url);
  const refused = await api(srv.url, 'PATCH', url, { token: stranger.token, body: { notify: 'all' } });
  t.equal(refused.status, 403);
  t.equal(refused.body.error.code, 'NOT_A_MEMBER');
});
