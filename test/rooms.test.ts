import t from 'tap';
import {
  aloneInARoom,
  api,
  join,
  newRoom,
  newUser,
  post,
  serve,
  stream,
  twoInARoom,
  type TestUser,
} from './helpers/app.js';
import type { MembersBody, Message, MessageBody, MessagesBody, Room, RoomBody, RoomsBody } from './helpers/bodies.js';

type Who = 'stranger' | 'member' | 'admin' | 'owner';
const WHO: Who[] = ['stranger', 'member', 'admin', 'owner'];

/**
 * The permission matrix: for each room kind and each route, the status every kind of caller gets. Each case runs
 * on a fresh room so that writes in one case do not change the next.
 */
t.test('room and message permission matrix', async (t) => {
  const srv = await serve(t);
  const users = {} as Record<Who | 'target' | 'other', TestUser>;
  for (const w of [...WHO, 'target', 'other'] as const) users[w] = await newUser(srv.url, `${w}${Date.now() % 100000}`);

  async function setup(kind: 'public' | 'private') {
    const room = await newRoom(srv.url, users.owner, { kind, name: `${kind} room` });
    for (const w of ['member', 'admin', 'target', 'other'] as const) {
      const res = await api(srv.url, 'POST', `/api/rooms/${room.id}/members`, {
        token: users.owner.token,
        body: { username: users[w].username },
      });
      if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    }
    await api(srv.url, 'PATCH', `/api/rooms/${room.id}/members/${users.admin.id}`, {
      token: users.owner.token,
      body: { role: 'admin' },
    });
    const ownMsg = await post(srv.url, users.target, room.id, 'by target');
    return { room, ownMsg };
  }

  interface Case {
    name: string;
    call: (ctx: { room: Room; ownMsg: Message }, who: TestUser) => Promise<{ status: number }>;
    expect: Record<'public' | 'private', Record<Who, number>>;
  }
  const both = (m: Record<Who, number>) => ({ public: m, private: { ...m, stranger: 404 } });
  const cases: Case[] = [
    {
      name: 'GET room',
      call: ({ room }, u) => api(srv.url, 'GET', `/api/rooms/${room.id}`, { token: u.token }),
      expect: both({ stranger: 200, member: 200, admin: 200, owner: 200 }),
    },
    {
      name: 'GET members',
      call: ({ room }, u) => api(srv.url, 'GET', `/api/rooms/${room.id}/members`, { token: u.token }),
      expect: both({ stranger: 200, member: 200, admin: 200, owner: 200 }),
    },
    {
      name: 'PATCH room',
      call: ({ room }, u) =>
        api(srv.url, 'PATCH', `/api/rooms/${room.id}`, { token: u.token, body: { topic: 'new topic' } }),
      expect: both({ stranger: 403, member: 403, admin: 200, owner: 200 }),
    },
    {
      name: 'DELETE room',
      call: ({ room }, u) => api(srv.url, 'DELETE', `/api/rooms/${room.id}`, { token: u.token }),
      expect: both({ stranger: 403, member: 403, admin: 403, owner: 204 }),
    },
    {
      name: 'join',
      call: ({ room }, u) => api(srv.url, 'POST', `/api/rooms/${room.id}/join`, { token: u.token }),
      expect: {
        public: { stranger: 201, member: 200, admin: 200, owner: 200 },
        private: { stranger: 404, member: 200, admin: 200, owner: 200 },
      },
    },
    {
      name: 'leave',
      call: ({ room }, u) => api(srv.url, 'POST', `/api/rooms/${room.id}/leave`, { token: u.token }),
      expect: {
        public: { stranger: 404, member: 204, admin: 204, owner: 409 },
        private: { stranger: 404, member: 204, admin: 204, owner: 409 },
      },
    },
    {
      name: 'add member',
      call: ({ room }, u) =>
        api(srv.url, 'POST', `/api/rooms/${room.id}/members`, { token: u.token, body: { username: 'newcomer' } }),
      expect: both({ stranger: 403, member: 403, admin: 201, owner: 201 }),
    },
    {
      name: 'remove member',
      call: ({ room }, u) =>
        api(srv.url, 'DELETE', `/api/rooms/${room.id}/members/${users.target.id}`, { token: u.token }),
      expect: both({ stranger: 403, member: 403, admin: 204, owner: 204 }),
    },
    {
      name: 'remove admin',
      call: ({ room }, u) =>
        api(srv.url, 'DELETE', `/api/rooms/${room.id}/members/${users.admin.id}`, { token: u.token }),
      expect: both({ stranger: 403, member: 403, admin: 403, owner: 204 }),
    },
    {
      name: 'remove owner',
      call: ({ room }, u) =>
        api(srv.url, 'DELETE', `/api/rooms/${room.id}/members/${users.owner.id}`, { token: u.token }),
      expect: both({ stranger: 403, member: 403, admin: 403, owner: 403 }),
    },
    {
      name: 'promote',
      call: ({ room }, u) =>
        api(srv.url, 'PATCH', `/api/rooms/${room.id}/members/${users.target.id}`, {
          token: u.token,
          body: { role: 'admin' },
        }),
      expect: both({ stranger: 403, member: 403, admin: 403, owner: 200 }),
    },
    {
      name: 'post message',
      call: ({ room }, u) =>
        api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, { token: u.token, body: { text: 'hi' } }),
      expect: both({ stranger: 403, member: 201, admin: 201, owner: 201 }),
    },
    {
      name: 'history',
      call: ({ room }, u) => api(srv.url, 'GET', `/api/rooms/${room.id}/messages`, { token: u.token }),
      expect: both({ stranger: 403, member: 200, admin: 200, owner: 200 }),
    },
    {
      name: "edit others' message",
      call: ({ room, ownMsg }, u) =>
        api(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${ownMsg.seq}`, {
          token: u.token,
          body: { text: 'edited' },
        }),
      expect: both({ stranger: 403, member: 403, admin: 403, owner: 403 }),
    },
    {
      name: "delete others' message",
      call: ({ room, ownMsg }, u) =>
        api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${ownMsg.seq}`, { token: u.token }),
      expect: both({ stranger: 403, member: 403, admin: 204, owner: 204 }),
    },
  ];
  await api(srv.url, 'POST', '/api/auth/register', {
    body: { username: 'newcomer', email: 'newcomer@example.com', password: 'newcomer pass phrase' },
  });

  for (const kind of ['public', 'private'] as const) {
    for (const c of cases) {
      for (const who of WHO) {
        const ctx = await setup(kind);
        const res = await c.call(ctx, users[who]);
        t.equal(res.status, c.expect[kind][who], `${kind}: ${c.name} by ${who}`);
      }
    }
  }
});

t.test('authors edit and delete their own messages; events record it', async (t) => {
  const { srv, a, room } = await aloneInARoom(t);
  const m = await post(srv.url, a, room.id, 'first');
  const edited = await api<MessageBody>(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${m.seq}`, {
    token: a.token,
    body: { text: 'first (fixed)' },
  });
  t.equal(edited.status, 200);
  t.equal(edited.body.message.text, 'first (fixed)');
  t.ok(edited.body.message.editedAt);
  t.equal((await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${m.seq}`, { token: a.token })).status, 204);
  const got = await api<MessageBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages/${m.seq}`, { token: a.token });
  t.equal(got.body.message.text, null);
  t.ok(got.body.message.deletedAt);
  t.equal(
    (
      await api(srv.url, 'PATCH', `/api/rooms/${room.id}/messages/${m.seq}`, {
        token: a.token,
        body: { text: 'again' },
      })
    ).status,
    404,
    'a deleted message cannot be edited',
  );
  t.equal((await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${m.seq}`, { token: a.token })).status, 404);
  const events = await srv.store.eventsAfter(room.id, 0, 100);
  t.same(
    events.map((e) => e.type),
    ['member.joined', 'message.created', 'message.edited', 'message.deleted'],
  );
});

t.test('history pages: newest first with before, ascending with after, limits', async (t) => {
  const { srv, a, room } = await aloneInARoom(t);
  const posted: Message[] = [];
  for (let i = 0; i < 120; i++) posted.push(await post(srv.url, a, room.id, `m${i}`));
  const first = await api<MessagesBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages`, { token: a.token });
  t.equal(first.body.messages.length, 50, 'default page of 50');
  t.equal(first.body.messages[0]!.text, 'm119');
  const all: (string | null)[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await api<MessagesBody>(
      srv.url,
      'GET',
      `/api/rooms/${room.id}/messages?limit=100${before ? `&before=${before}` : ''}`,
      { token: a.token },
    );
    if (page.body.messages.length === 0) break;
    all.push(...page.body.messages.map((m) => m.text));
    before = page.body.messages.at(-1)!.seq;
  }
  t.same(all, posted.map((m) => m.text).reverse(), 'paging back through all history, no gap, no repeat');
  const after = await api<MessagesBody>(
    srv.url,
    'GET',
    `/api/rooms/${room.id}/messages?after=${posted[9]!.seq}&limit=3`,
    { token: a.token },
  );
  t.same(
    after.body.messages.map((m) => m.text),
    ['m10', 'm11', 'm12'],
  );
  for (const q of ['limit=0', 'limit=101', 'limit=x', 'before=0', 'before=-3', 'after=1&before=5', 'after=abc']) {
    const res = await api(srv.url, 'GET', `/api/rooms/${room.id}/messages?${q}`, { token: a.token });
    t.equal(res.status, 400, `?${q} -> 400`);
  }
});

t.test('a post retried with its clientId is stored once: 201, then 200 with the same message', async (t) => {
  const { srv, a: alice, b: bob, room } = await twoInARoom(t);
  const watcher = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: bob.token });
  t.teardown(() => watcher.close());
  const send = (user: TestUser, body: Record<string, unknown>) =>
    api<MessageBody>(srv.url, 'POST', `/api/rooms/${room.id}/messages`, { token: user.token, body });

  const first = await send(alice, { text: 'hello once', clientId: 'c0ffee-1' });
  t.equal(first.status, 201, 'stored');
  t.equal(first.body.message.clientId, 'c0ffee-1', 'the message carries its key');
  const retries = await Promise.all([
    send(alice, { text: 'hello once', clientId: 'c0ffee-1' }),
    send(alice, { text: 'hello once', clientId: 'c0ffee-1' }),
  ]);
  t.same(
    retries.map((r) => r.status),
    [200, 200],
    'retries answer 200',
  );
  t.ok(
    retries.every((r) => r.body.message.seq === first.body.message.seq),
    'with the stored message',
  );
  t.equal(
    (await send(alice, { text: 'different body', clientId: 'c0ffee-1' })).body.message.text,
    'hello once',
    'the key wins over the body',
  );
  t.equal((await send(bob, { text: 'mine', clientId: 'c0ffee-1' })).status, 201, 'another author may use the same key');
  const after = await post(srv.url, alice, room.id, 'no key');
  t.equal(after.clientId, null, 'a post without a key has clientId null');

  await watcher.waitFor(() => watcher.stored().some((e) => e.json.payload.message?.text === 'no key'));
  const created = watcher
    .stored()
    .filter((e) => e.event === 'message.created')
    .map((e) => e.json.payload.message.text);
  t.same(created, ['hello once', 'mine', 'no key'], 'the stream saw each message once');
  const history = await api<MessagesBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages`, { token: alice.token });
  t.same(
    history.body.messages.map((m) => m.text),
    ['no key', 'mine', 'hello once'],
    'history holds each once',
  );

  for (const clientId of ['', 'has space', 'x'.repeat(65), 'slash/no', 42]) {
    const res = await send(alice, { text: 'bad key', clientId });
    t.equal(res.status, 400, `clientId ${JSON.stringify(clientId)} -> 400`);
  }
});

t.test('room list marks mine and joinable public rooms; private rooms stay hidden', async (t) => {
  const srv = await serve(t);
  const a = await newUser(srv.url);
  const b = await newUser(srv.url);
  const pub = await newRoom(srv.url, a, { name: 'lobby', topic: 'say hi' });
  const priv = await newRoom(srv.url, a, { name: 'secret', kind: 'private' });
  const list = (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: b.token })).body.rooms;
  t.same(
    list.map((r) => [r.id, r.joined]),
    [[pub.id, false]],
  );
  t.equal(
    (await api(srv.url, 'GET', `/api/rooms/${priv.id}`, { token: b.token })).status,
    404,
    'no hint a private room exists',
  );
  await join(srv.url, b, pub.id);
  const after = (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: b.token })).body.rooms;
  t.equal(after[0]!.joined, true);
  t.equal(after[0]!.membership!.role, 'member');
  const renamed = await api<RoomBody>(srv.url, 'PATCH', `/api/rooms/${pub.id}`, {
    token: a.token,
    body: { name: '  Lobby 2 ' },
  });
  t.equal(renamed.body.room.name, 'Lobby 2');
  t.equal(renamed.body.room.topic, 'say hi');
  const types = (await srv.store.eventsAfter(pub.id, 0, 10)).map((e) => e.type);
  t.same(types, ['member.joined', 'member.joined', 'room.updated'], 'joins and renames are room events');
});

t.test('ownership transfer: the new owner owns, the old one becomes admin and may leave', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  t.equal(
    (await api(srv.url, 'PATCH', `/api/rooms/${room.id}/members/${a.id}`, { token: a.token, body: { role: 'member' } }))
      .status,
    400,
    'no demoting yourself',
  );
  t.equal(
    (await api(srv.url, 'PATCH', `/api/rooms/${room.id}/members/${b.id}`, { token: a.token, body: { role: 'owner' } }))
      .status,
    200,
  );
  const members = (await api<MembersBody>(srv.url, 'GET', `/api/rooms/${room.id}/members`, { token: a.token })).body
    .members;
  t.same(
    members.map((m) => [m.user.username, m.role]),
    [
      [b.username, 'owner'],
      [a.username, 'admin'],
    ],
  );
  const roomBody = (await api<RoomBody>(srv.url, 'GET', `/api/rooms/${room.id}`, { token: a.token })).body;
  t.equal(roomBody.room.ownerId, b.id);
  t.equal((await api(srv.url, 'POST', `/api/rooms/${room.id}/leave`, { token: a.token })).status, 204);
  t.equal(
    (await api(srv.url, 'POST', `/api/rooms/${room.id}/leave`, { token: b.token })).status,
    409,
    'the owner cannot just leave',
  );
});
