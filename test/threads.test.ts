import t from 'tap';
import { api, join, newRoom, newUser, post, stream, twoInARoom } from './helpers/app.js';
import type { ErrorBody, Message, MessageBody, RoomBody } from './helpers/bodies.js';

interface ThreadBody {
  root: Message;
  replies: Message[];
}

async function reply(base: string, user: { token: string }, roomId: string, replyTo: number, text: string) {
  const res = await api<MessageBody>(base, 'POST', `/api/rooms/${roomId}/messages`, {
    token: user.token,
    body: { text, replyTo },
  });
  if (res.status !== 201) throw new Error(`reply: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.message;
}

t.test('a reply quotes its parent; replies to replies join the root thread; the root sums it up', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const c = await newUser(srv.url);
  await join(srv.url, c, room.id);
  const long = 'x'.repeat(100) + ' ' + 'y'.repeat(100);
  const root = await post(srv.url, a, room.id, long);
  const r1 = await reply(srv.url, b, room.id, root.seq, 'first answer');
  t.same(r1.replyTo?.seq, root.seq, 'replyTo names the parent');
  t.equal(r1.replyTo?.author?.id, a.id, 'and its author');
  t.equal([...r1.replyTo!.excerpt!].length, 140, 'the excerpt is at most 140 characters');
  t.ok(r1.replyTo!.excerpt!.startsWith('xxxx') && r1.replyTo!.excerpt!.endsWith('…'), 'cut with an ellipsis');
  t.equal(r1.threadSeq, root.seq, 'a reply knows its thread');
  t.equal(r1.thread, null, 'a reply is no root');

  const r2 = await reply(srv.url, c, room.id, r1.seq, 'answer to the answer');
  t.equal(r2.replyTo?.seq, r1.seq, 'a reply to a reply quotes the reply');
  t.equal(r2.replyTo?.excerpt, 'first answer');
  t.equal(r2.threadSeq, root.seq, 'but belongs to the root thread');
  await reply(srv.url, b, room.id, root.seq, 'b again');

  const got = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${root.seq}`, { token: c.token });
  t.equal(got.body.message.thread?.replies, 3);
  t.same(
    got.body.message.thread?.participants.map((p) => p.id),
    [b.id, c.id],
    'participants: distinct repliers, the most recent first',
  );
  t.ok(got.body.message.thread?.lastReplyAt, 'with the time of the last reply');
  const plain = await post(srv.url, a, room.id, 'not a reply');
  t.same([plain.replyTo, plain.threadSeq, plain.thread], [null, null, null], 'an ordinary message has none of it');

  // The thread pages in order.
  const all = await api<ThreadBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${root.seq}/thread`, {
    token: c.token,
  });
  t.equal(all.status, 200);
  t.equal(all.body.root.seq, root.seq);
  t.same(
    all.body.replies.map((m) => m.text),
    ['first answer', 'answer to the answer', 'b again'],
  );
  const page1 = await api<ThreadBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${root.seq}/thread?limit=2`, {
    token: c.token,
  });
  t.same(
    page1.body.replies.map((m) => m.seq),
    [r1.seq, r2.seq],
  );
  const page2 = await api<ThreadBody>(
    srv.url,
    'GET',
    `/api/rooms/${room.id}/messages/${root.seq}/thread?after=${r2.seq}&limit=2`,
    { token: c.token },
  );
  t.same(
    page2.body.replies.map((m) => m.text),
    ['b again'],
    'after= pages on',
  );
  const ofReply = await api<ErrorBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${r1.seq}/thread`, {
    token: c.token,
  });
  t.same([ofReply.status, ofReply.body.error.code], [404, 'THREAD_NOT_FOUND'], "a reply's seq is not a thread");
  const unknown = await api<ErrorBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/999/thread`, { token: c.token });
  t.same([unknown.status, unknown.body.error.code], [404, 'MESSAGE_NOT_FOUND']);
  const history = await api<{ messages: Message[] }>(srv.url, 'GET', `/api/rooms/${room.id}/messages`, {
    token: c.token,
  });
  t.equal(
    history.body.messages.find((m) => m.seq === r2.seq)?.replyTo?.excerpt,
    'first answer',
    'history pages carry replies with their quotes (replies stay in the timeline)',
  );
});

t.test('bad replies are refused with a clear code and change nothing', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const other = await newRoom(srv.url, a, { name: 'other' });
  // Seqs 1-10 in the other room; this room stays below 10, so the other room's last message has no twin here.
  let elsewhere = await post(srv.url, a, other.id, 'in the other room');
  while (elsewhere.seq < 10) elsewhere = await post(srv.url, a, other.id, 'in the other room');
  const root = await post(srv.url, a, room.id, 'root');
  const gone = await post(srv.url, a, room.id, 'soon deleted');
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${gone.seq}`, { token: a.token });
  const outsider = await newUser(srv.url);
  const head = async () =>
    (await api<RoomBody>(srv.url, 'GET', `/api/rooms/${room.id}`, { token: a.token })).body.room.lastSeq;
  const before = await head();
  const cases: Array<[string, { token: string }, unknown, number, string]> = [
    ['an unknown seq', b, 999, 400, 'REPLY_TO_UNKNOWN'],
    ["another room's seq", b, elsewhere.seq, 400, 'REPLY_TO_UNKNOWN'],
    ['a seq that is no message (a join)', b, 2, 400, 'REPLY_TO_UNKNOWN'],
    ['a deleted parent', b, gone.seq, 409, 'REPLY_TO_DELETED'],
    ['not a member', outsider, root.seq, 403, 'NOT_A_MEMBER'],
    ['not a seq', b, 'one', 400, 'VALIDATION_FAILED'],
    ['seq 0', b, 0, 400, 'VALIDATION_FAILED'],
  ];
  for (const [what, who, replyTo, status, code] of cases) {
    const res = await api<ErrorBody>(srv.url, 'POST', `/api/rooms/${room.id}/messages`, {
      token: who.token,
      body: { text: 'a reply', replyTo },
    });
    t.same([res.status, res.body.error?.code], [status, code], what);
    t.type(res.body.error.message, 'string', `${what}: the documented error shape`);
  }
  t.equal(await head(), before, 'nothing was appended to the room');
  const r = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${root.seq}`, { token: a.token });
  t.equal(r.body.message.thread, null, 'the root has no thread');
});

t.test("a parent's edit and delete reach its replies' quotes, on read and in the log", async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const root = await post(srv.url, a, room.id, 'the secret is hunter2');
  const r1 = await reply(srv.url, b, room.id, root.seq, 'noted');
  await api(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${root.seq}`, {
    token: a.token,
    body: { text: 'the plan is fine' },
  });
  const edited = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${r1.seq}`, {
    token: b.token,
  });
  t.equal(edited.body.message.replyTo?.excerpt, 'the plan is fine', 'the quote follows the edit');
  let log = JSON.stringify((await api(srv.url, 'GET', `/api/rooms/${room.id}/log`, { token: b.token })).body);
  t.notMatch(log, /hunter2/, "the edit's previous text is in no stored quote");
  t.match(log, /the plan is fine/);

  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${root.seq}`, { token: a.token });
  const after = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${r1.seq}`, { token: b.token });
  t.same(after.body.message.replyTo, { seq: root.seq, author: null, excerpt: null }, 'null fields once deleted');
  log = JSON.stringify((await api(srv.url, 'GET', `/api/rooms/${room.id}/log`, { token: b.token })).body);
  t.notMatch(log, /hunter2|the plan is fine/, 'no quote of the deleted parent in the log');
  const replay = await stream(srv.url, `/api/rooms/${room.id}/events?lastEventId=0`, { token: b.token });
  t.teardown(() => replay.close());
  await replay.waitFor((ev) => ev.some((e) => e.event === 'message.deleted'));
  const created = replay.events.find((e) => e.event === 'message.created' && e.json.payload.message.seq === r1.seq);
  t.same(created?.json.payload.message.replyTo, { seq: root.seq, author: null, excerpt: null }, 'nor in a replay');
  t.notMatch(replay.events.map((e) => e.data).join('\n'), /hunter2|the plan is fine/);
  const thread = await api<ThreadBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${root.seq}/thread`, {
    token: b.token,
  });
  t.same(
    [thread.body.root.text, thread.body.replies.length],
    [null, 1],
    "a deleted root's thread still reads (its replies stay)",
  );
});

t.test('thread.updated: live after each reply and each deleted reply; a resume gets each exactly once', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const root = await post(srv.url, a, room.id, 'root');
  const live = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token });
  t.teardown(() => live.close());
  const r1 = await reply(srv.url, b, room.id, root.seq, 'one');
  await live.waitFor((ev) => ev.some((e) => e.event === 'thread.updated'));
  t.same(
    live.events.map((e) => [e.id, e.event]),
    [
      [String(r1.seq), 'message.created'],
      [String(r1.seq + 1), 'thread.updated'],
    ],
    'the reply, then its thread update with the next seq',
  );
  const update = live.events[1]!.json;
  t.equal(update.payload.seq, root.seq, 'thread.updated names the root');
  t.equal(update.payload.thread.replies, 1);
  t.same(
    update.payload.thread.participants.map((p: { id: string }) => p.id),
    [b.id],
  );
  t.equal(update.actor.id, b.id);
  const resumeFrom = live.lastId()!;
  live.close();

  // Missed while away: a reply and the deletion of the first reply; more arrives while the resume replays.
  const r2 = await reply(srv.url, a, room.id, r1.seq, 'two');
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${r1.seq}`, { token: b.token });
  const resumed = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: a.token, lastEventId: resumeFrom });
  t.teardown(() => resumed.close());
  const r3 = await reply(srv.url, b, room.id, root.seq, 'three');
  await resumed.waitFor((ev) => ev.some((e) => Number(e.id) === r3.seq + 1));
  const ids = resumed.stored().map((e) => Number(e.id));
  t.same(
    ids,
    [...ids].sort((x, y) => x - y),
    'in order',
  );
  t.equal(new Set(ids).size, ids.length, 'nothing twice');
  t.same(
    resumed.stored().map((e) => e.event),
    ['message.created', 'thread.updated', 'message.deleted', 'thread.updated', 'message.created', 'thread.updated'],
    'every reply and every thread update once',
  );
  t.equal(ids[0], r2.seq, 'starting right after the resume point');
  const counts = resumed.stored().filter((e) => e.event === 'thread.updated');
  t.same(
    counts.map((e) => e.json.payload.thread.replies),
    [2, 1, 2],
    'the deleted reply no longer counts',
  );
  const root2 = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${root.seq}`, {
    token: a.token,
  });
  t.equal(root2.body.message.thread?.replies, 2, 'the root reads the same summary');
  t.same(
    root2.body.message.thread?.participants.map((p) => p.id),
    [b.id, a.id],
  );
});
