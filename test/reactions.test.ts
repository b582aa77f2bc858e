import t from 'tap';
import { aloneInARoom, api, newRoom, newUser, post, stream, twoInARoom, type TestApp } from './helpers/app.js';
import type { ErrorBody, Message, MessageBody, MessagesBody } from './helpers/bodies.js';

interface ReactionAnswer {
  seq: number;
  changed: boolean;
  reactions: Message['reactions'];
}

const path = (roomId: string, seq: number, emoji: string) =>
  `/api/rooms/${roomId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`;

async function react(srv: TestApp, token: string, method: 'PUT' | 'DELETE', roomId: string, seq: number, e: string) {
  return api<ReactionAnswer & ErrorBody>(srv.url, method, path(roomId, seq, e), { token });
}

t.test('reactions: add and remove, idempotent, shown per viewer in history and single messages', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const m = await post(srv.url, a, room.id, 'react to me');
  t.same(m.reactions, [], 'a new message has no reactions');

  const first = await react(srv, a.token, 'PUT', room.id, m.seq, '👍');
  t.equal(first.status, 200);
  t.same(first.body, { seq: m.seq, changed: true, reactions: [{ emoji: '👍', count: 1, users: [a.id], me: true }] });
  const again = await react(srv, a.token, 'PUT', room.id, m.seq, '👍');
  t.equal(again.status, 200, 'again is 200');
  t.equal(again.body.changed, false, 'and stores nothing');
  await react(srv, b.token, 'PUT', room.id, m.seq, '👍');
  await react(srv, b.token, 'PUT', room.id, m.seq, '👨‍👩‍👧');
  // Without its emoji variation selector, a heart is the same heart.
  const heart = await react(srv, b.token, 'PUT', room.id, m.seq, '\u2764');
  t.equal(heart.status, 200);
  t.equal(heart.body.reactions.at(-1)?.emoji, '\u2764\uFE0F', 'stored fully qualified');
  t.equal((await react(srv, b.token, 'PUT', room.id, m.seq, '\u2764\uFE0F')).body.changed, false, 'the same one');
  // With a selector it does not need (as emoji pickers may send it), a thumbs up is the same thumbs up.
  t.equal((await react(srv, a.token, 'PUT', room.id, m.seq, '👍\uFE0F')).body.changed, false, 'one 👍');

  const history = await api<MessagesBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages`, { token: a.token });
  t.same(history.body.messages.find((x) => x.seq === m.seq)?.reactions, [
    { emoji: '👍', count: 2, users: [a.id, b.id], me: true },
    { emoji: '👨‍👩‍👧', count: 1, users: [b.id], me: false },
    { emoji: '❤️', count: 1, users: [b.id], me: false },
  ]);
  const forB = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${m.seq}`, { token: b.token });
  t.same(
    forB.body.message.reactions.map((r) => r.me),
    [true, true, true],
    'me is the viewer’s',
  );

  const edited = await api<MessageBody>(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${m.seq}`, {
    token: a.token,
    body: { text: 'edited' },
  });
  t.equal(edited.body.message.reactions.length, 3, 'an edit keeps the reactions');

  const removed = await react(srv, a.token, 'DELETE', room.id, m.seq, '👍');
  t.equal(removed.status, 200);
  t.same(removed.body.reactions[0], { emoji: '👍', count: 1, users: [b.id], me: false });
  const removedAgain = await react(srv, a.token, 'DELETE', room.id, m.seq, '👍');
  t.equal(removedAgain.status, 200, 'removing one you do not have is fine');
  t.equal(removedAgain.body.changed, false);

  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${m.seq}`, { token: a.token });
  const gone = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${m.seq}`, { token: a.token });
  t.same(gone.body.message.reactions, [], 'a deleted message has no reactions');
});

t.test('reactions: bad input is refused with a clear code and changes nothing', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const m = await post(srv.url, a, room.id, 'hello');
  const headBefore = async () => (await srv.store.getRoom(room.id))!.lastSeq;
  const head = await headBefore();

  for (const bad of ['a', '👍👍', '1', ':thumbsup:', '👍a', '\u200d']) {
    const res = await react(srv, a.token, 'PUT', room.id, m.seq, bad);
    t.equal(res.status, 400, `${JSON.stringify(bad)} is not one emoji`);
    t.equal(res.body.error.code, 'VALIDATION_FAILED');
    t.match(res.body.error.message, /emoji/, 'the message names the field');
    t.same(
      (res.body.error.details as Array<{ path: string }>).map((d) => d.path),
      ['params.emoji'],
    );
  }
  const notFound = await react(srv, a.token, 'PUT', room.id, 999, '👍');
  t.equal(notFound.status, 404);
  t.equal(notFound.body.error.code, 'MESSAGE_NOT_FOUND');
  const joinEvent = await react(srv, a.token, 'PUT', room.id, 1, '👍');
  t.equal(joinEvent.body.error.code, 'MESSAGE_NOT_FOUND', 'a seq that is not a message');

  const other = await newRoom(srv.url, a, { name: 'other' });
  const otherMsg = await post(srv.url, a, other.id, 'elsewhere');
  const crossRoom = await react(srv, a.token, 'PUT', room.id, otherMsg.seq + 100, '👍');
  t.equal(crossRoom.body.error.code, 'MESSAGE_NOT_FOUND', "another room's seq");

  const stranger = await newUser(srv.url);
  const notMember = await react(srv, stranger.token, 'PUT', room.id, m.seq, '👍');
  t.equal(notMember.status, 403);
  t.equal(notMember.body.error.code, 'NOT_A_MEMBER');
  const secret = await newRoom(srv.url, b, { name: 'secret', kind: 'private' });
  const secretMsg = await post(srv.url, b, secret.id, 'psst');
  const hidden = await react(srv, a.token, 'PUT', secret.id, secretMsg.seq, '👍');
  t.equal(hidden.status, 404);
  t.equal(hidden.body.error.code, 'ROOM_NOT_FOUND');
  t.equal(await headBefore(), head, 'nothing was stored');

  const deleted = await post(srv.url, a, room.id, 'to delete');
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${deleted.seq}`, { token: a.token });
  const onDeleted = await react(srv, b.token, 'PUT', room.id, deleted.seq, '👍');
  t.equal(onDeleted.status, 404);
  t.equal(onDeleted.body.error.code, 'MESSAGE_NOT_FOUND', 'a deleted message takes no reactions');
});

t.test('reactions: at most 20 different emoji per message', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const m = await post(srv.url, a, room.id, 'popular');
  const emoji = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩'];
  t.equal(emoji.length, 21);
  for (const e of emoji.slice(0, 20)) t.equal((await react(srv, a.token, 'PUT', room.id, m.seq, e)).status, 200);
  const over = await react(srv, b.token, 'PUT', room.id, m.seq, emoji[20]!);
  t.equal(over.status, 409);
  t.equal(over.body.error.code, 'TOO_MANY_REACTIONS');
  const same = await react(srv, b.token, 'PUT', room.id, m.seq, emoji[0]!);
  t.equal(same.status, 200, 'one of the 20 is still fine');
  t.same(same.body.reactions[0], { emoji: emoji[0], count: 2, users: [a.id, b.id], me: true });
});

t.test('reaction events: live to every subscriber, once, and exactly once on resume', async (t) => {
  const { srv, a, room } = await aloneInARoom(t);
  const b = await newUser(srv.url);
  await api(srv.url, 'POST', `/api/rooms/${room.id}/join`, { token: b.token });
  const m = await post(srv.url, a, room.id, 'watch me');
  const live = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: b.token, lastEventId: String(m.seq) });
  t.teardown(() => live.close());

  await react(srv, a.token, 'PUT', room.id, m.seq, '🎉');
  await react(srv, a.token, 'PUT', room.id, m.seq, '🎉'); // a repeat: no event
  await react(srv, b.token, 'PUT', room.id, m.seq, '🎉');
  await react(srv, a.token, 'DELETE', room.id, m.seq, '🎉');
  await react(srv, a.token, 'DELETE', room.id, m.seq, '🎉'); // nothing to remove: no event
  await post(srv.url, a, room.id, 'end');
  await live.waitFor((ev) => ev.some((e) => e.event === 'message.created'));
  const reactionEvents = live.events.filter((e) => e.event.startsWith('reaction.'));
  t.same(
    reactionEvents.map((e) => [e.event, e.json.payload.emoji, e.json.payload.userId, e.json.payload.seq]),
    [
      ['reaction.added', '🎉', a.id, m.seq],
      ['reaction.added', '🎉', b.id, m.seq],
      ['reaction.removed', '🎉', a.id, m.seq],
    ],
  );
  t.same(
    reactionEvents.map((e) => e.json.actor.id),
    [a.id, b.id, a.id],
    'the actor is who reacted',
  );
  t.ok(
    reactionEvents.every((e) => e.id === String(e.json.seq)),
    'stored events: the id is their seq',
  );

  // A subscriber resuming from before the reactions gets each of them once, in order.
  const resumed = await stream(srv.url, `/api/rooms/${room.id}/events`, {
    token: b.token,
    lastEventId: reactionEvents[0]!.id,
  });
  t.teardown(() => resumed.close());
  await resumed.waitFor((ev) => ev.some((e) => e.event === 'message.created'));
  t.same(
    resumed.events.map((e) => e.event),
    ['reaction.added', 'reaction.removed', 'message.created'],
    'what came after the position, once each',
  );
  const ids = resumed.events.map((e) => Number(e.id));
  t.same(
    ids,
    [...new Set(ids)].sort((x, y) => x - y),
    'no repeats, in order',
  );
});
