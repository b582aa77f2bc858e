import t from 'tap';
import { api, join, newRoom, newUser, post, serve } from './helpers/app.js';
import type { FieldErrorBody, Message, MessagesBody } from './helpers/bodies.js';

/** GET /api/rooms/:roomId/messages?around=<seq>: the page centred on a message (a jump to a linked message). */

interface AroundBody extends MessagesBody {
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
}

t.test('around pages centre on the message; near either end the other side fills the page', async (t) => {
  const srv = await serve(t);
  const a = await newUser(srv.url);
  const b = await newUser(srv.url);
  const room = await newRoom(srv.url, a, { kind: 'public' });
  const posted: Message[] = [];
  for (let i = 1; i <= 30; i++) {
    posted.push(await post(srv.url, a, room.id, `m${i}`));
    // A join between messages: the log has a seq that is not a message.
    if (i === 15) await join(srv.url, b, room.id);
  }
  const texts = (body: AroundBody) => body.messages.map((m) => m.text);
  const around = (seq: number | string, limit?: number) =>
    api<AroundBody>(
      srv.url,
      'GET',
      `/api/rooms/${room.id}/messages?around=${seq}${limit === undefined ? '' : `&limit=${limit}`}`,
      { token: b.token },
    );
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

  const middle = await around(posted[14]!.seq, 7);
  t.equal(middle.status, 200);
  t.same(texts(middle.body), range(12, 18), 'middle: three older, the message, three newer, oldest first');
  t.equal(middle.body.hasMoreBefore, true);
  t.equal(middle.body.hasMoreAfter, true);

  const even = await around(posted[14]!.seq, 6);
  t.same(texts(even.body), range(13, 18), 'an even limit: the extra one is newer');

  const start = await around(posted[1]!.seq, 7);
  t.same(texts(start.body), range(1, 7), 'near the start: the page starts at the first message and fills newer');
  t.equal(start.body.hasMoreBefore, false);
  t.equal(start.body.hasMoreAfter, true);

  const first = await around(posted[0]!.seq, 5);
  t.same(texts(first.body), range(1, 5), 'the very first message');
  t.equal(first.body.hasMoreBefore, false);

  const end = await around(posted[28]!.seq, 7);
  t.same(texts(end.body), range(24, 30), 'near the end: the page ends at the newest message and fills older');
  t.equal(end.body.hasMoreBefore, true);
  t.equal(end.body.hasMoreAfter, false);

  const all = await around(posted[9]!.seq, 100);
  t.same(texts(all.body), range(1, 30), 'a limit larger than the room: everything, nothing more either side');
  t.same([all.body.hasMoreBefore, all.body.hasMoreAfter], [false, false]);

  const one = await around(posted[9]!.seq, 1);
  t.same(texts(one.body), ['m10'], 'limit 1: the message alone');
  t.same([one.body.hasMoreBefore, one.body.hasMoreAfter], [true, true]);

  const dflt = await around(posted[29]!.seq);
  t.equal(dflt.body.messages.length, 30, 'the default limit (50) holds the whole room');

  // Paging on from an around page with before/after meets it without a gap or a repeat.
  const older = await api<MessagesBody>(
    srv.url,
    'GET',
    `/api/rooms/${room.id}/messages?before=${middle.body.messages[0]!.seq}&limit=3`,
    { token: b.token },
  );
  t.same(
    older.body.messages.map((m) => m.text),
    ['m11', 'm10', 'm9'],
  );
  const newer = await api<MessagesBody>(
    srv.url,
    'GET',
    `/api/rooms/${room.id}/messages?after=${middle.body.messages.at(-1)!.seq}&limit=3`,
    { token: b.token },
  );
  t.same(
    newer.body.messages.map((m) => m.text),
    ['m19', 'm20', 'm21'],
  );

  // A deleted message still has its place: the page centres on its tombstone.
  t.equal(
    (await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${posted[19]!.seq}`, { token: a.token })).status,
    204,
  );
  const tomb = await around(posted[19]!.seq, 3);
  t.equal(tomb.status, 200);
  t.same(texts(tomb.body), ['m19', null, 'm21'], "a deleted message's page, the message as a tombstone");
  t.ok(tomb.body.messages[1]!.deletedAt);
});

t.test("around: an unknown seq, another room's or a non-message event is 404; bad values are 400", async (t) => {
  const srv = await serve(t);
  const a = await newUser(srv.url);
  const b = await newUser(srv.url);
  const room = await newRoom(srv.url, a, { kind: 'public' });
  const other = await newRoom(srv.url, a, { kind: 'public' });
  for (let i = 1; i <= 3; i++) await post(srv.url, a, room.id, `here ${i}`);
  const joined = room.lastSeq; // the room's first events (created, the owner joining) are not messages
  let elsewhere: Message | undefined;
  for (let i = 1; i <= 8; i++) elsewhere = await post(srv.url, a, other.id, `there ${i}`);
  const lastHere = (
    await api<MessagesBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages?limit=1`, { token: a.token })
  ).body.messages[0]!.seq;
  t.ok(elsewhere!.seq > lastHere, "the other room's message has a seq this room has not reached");

  const get = (q: string, token = a.token) => api(srv.url, 'GET', `/api/rooms/${room.id}/messages?${q}`, { token });
  for (const [q, why] of [
    [`around=${lastHere + 1000}`, 'a seq past the head'],
    [`around=${elsewhere!.seq}`, "another room's message"],
    [`around=${Math.max(1, joined)}`, 'an event that is not a message'],
  ] as const) {
    const res = await get(q);
    t.equal(res.status, 404, `${why}: 404`);
    t.equal(res.body.error.code, 'MESSAGE_NOT_FOUND', `${why}: MESSAGE_NOT_FOUND`);
  }
  for (const q of [
    'around=0',
    'around=-1',
    'around=abc',
    'around=1.5',
    'around=',
    'around=5&limit=0',
    'around=5&limit=101',
  ]) {
    const res = await api<FieldErrorBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages?${q}`, { token: a.token });
    t.equal(res.status, 400, `?${q} -> 400`);
    t.equal(res.body.error.code, 'VALIDATION_FAILED');
    const field = q.includes('limit=') ? 'limit' : 'around';
    t.ok(
      res.body.error.details.some((d) => JSON.stringify(d).includes(field)),
      `?${q} names ${field}: ${JSON.stringify(res.body.error.details)}`,
    );
  }
  for (const q of [`around=${lastHere}&before=9`, `around=${lastHere}&after=1`]) {
    const res = await get(q);
    t.equal(res.status, 400, `?${q} -> 400 (one of before, after, around)`);
  }
  // A stranger to a private room learns nothing about its seqs.
  const secret = await newRoom(srv.url, a, { kind: 'private', name: 'secret' });
  const hidden = await post(srv.url, a, secret.id, 'hidden');
  const res = await api(srv.url, 'GET', `/api/rooms/${secret.id}/messages?around=${hidden.seq}`, { token: b.token });
  t.equal(res.status, 404, 'a private room of which the caller is not a member: 404');
  t.notOk(JSON.stringify(res.body).includes('hidden'));
});
