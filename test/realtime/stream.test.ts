import t from 'tap';
import { Subscriber } from '../../server/realtime/subscriber.js';
import { aloneInARoom, api, join, newRoom, newUser, post, serve, stream, twoInARoom } from '../helpers/app.js';
import type { LoginBody, NewApiTokenBody, RoomBody } from '../helpers/bodies.js';

t.test('SSE stream basics: headers, retry first, ids are seqs, heartbeat, membership', async (t) => {
  const { srv, a: alice, room } = await aloneInARoom(t, { env: { HEARTBEAT_MS: '200' } });
  const bob = await newUser(srv.url);

  const refused = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: bob.token });
  t.equal(refused.status, 403, 'a non-member of a public room may not stream it');
  t.equal(JSON.parse(refused.body || '{}').error?.code, 'NOT_A_MEMBER');
  const anon = await stream(srv.url, `/api/rooms/${room.id}/events`);
  t.equal(anon.status, 401);

  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token });
  t.teardown(() => s.close());
  t.equal(s.status, 200);
  t.match(s.headers['content-type'], /^text\/event-stream/);
  t.equal(s.headers['cache-control'], 'no-cache');
  t.equal(s.headers['x-accel-buffering'], 'no');

  const m = await post(srv.url, alice, room.id, 'line one\nline two\r\nthree\u2028');
  await s.waitFor((ev) => ev.length >= 1);
  const [first] = s.events;
  t.equal(first!.id, String(m.seq), 'id is the room seq');
  t.equal(first!.event, 'message.created');
  t.equal(
    first!.json.payload.message.text,
    'line one\nline two\r\nthree\u2028',
    'newlines travel inside one-line JSON',
  );
  t.equal(s.retry, 2000, 'retry: is sent');
  await s.waitFor(() => s.comments.length >= 1, 5000, 'a heartbeat');
  t.pass('heartbeat comment arrives');
});

t.test('resume: Last-Event-ID and ?lastEventId= replay exactly what was missed; header wins', async (t) => {
  const { srv, a: alice, room } = await aloneInARoom(t);
  for (let i = 0; i < 10; i++) await post(srv.url, alice, room.id, `m${i}`);
  // seq 1 is the owner's join; 2..11 the messages.
  const byHeader = await stream(srv.url, `/api/rooms/${room.id}/events?lastEventId=1`, {
    token: alice.token,
    lastEventId: '6',
  });
  t.teardown(() => byHeader.close());
  await byHeader.waitFor((ev) => ev.length >= 5);
  t.same(
    byHeader.events.map((e) => e.id),
    ['7', '8', '9', '10', '11'],
    'Last-Event-ID header wins over the query',
  );

  const byQuery = await stream(srv.url, `/api/rooms/${room.id}/events?lastEventId=9`, { token: alice.token });
  t.teardown(() => byQuery.close());
  await byQuery.waitFor((ev) => ev.length >= 2);
  await post(srv.url, alice, room.id, 'live');
  await byQuery.waitFor((ev) => ev.length >= 3);
  t.same(
    byQuery.events.map((e) => e.id),
    ['10', '11', '12'],
    'replay then live, no gap, no duplicate',
  );

  const fresh = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token });
  t.teardown(() => fresh.close());
  await post(srv.url, alice, room.id, 'after fresh');
  await fresh.waitFor((ev) => ev.length >= 1);
  t.same(
    fresh.events.map((e) => e.id),
    ['13'],
    'a fresh stream starts at the head',
  );

  for (const bad of ['abc', '-1', '1.5', '1e3']) {
    const res = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: bad });
    t.equal(res.status, 400, `Last-Event-ID ${bad} is refused`);
  }
});

t.test('reset: a position older than the replay limit, or in the future, gets reset, never a silent gap', async (t) => {
  const { srv, a: alice, room } = await aloneInARoom(t, { env: { REPLAY_LIMIT: '5' } });
  for (let i = 0; i < 10; i++) await post(srv.url, alice, room.id, `m${i}`);
  const old = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: '2' });
  t.teardown(() => old.close());
  await old.waitFor((ev) => ev.length >= 1);
  t.equal(old.events[0]!.event, 'reset');
  t.equal(old.events[0]!.json.lastSeq, 11);
  t.equal(old.events[0]!.id, '11', 'the reset carries the head as id, so a reconnect does not reset again');
  await post(srv.url, alice, room.id, 'next');
  await old.waitFor((ev) => ev.length >= 2);
  t.equal(old.events[1]!.id, '12');

  const within = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: '7' });
  t.teardown(() => within.close());
  await within.waitFor((ev) => ev.length >= 5);
  t.same(
    within.events.map((e) => e.id),
    ['8', '9', '10', '11', '12'],
    'within the limit: replayed',
  );

  const future = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: '999' });
  t.teardown(() => future.close());
  await future.waitFor((ev) => ev.length >= 1);
  t.equal(future.events[0]!.event, 'reset');
  t.equal(future.events[0]!.json.reason, 'unknown-position');
});

t.test('exactly once: 20 concurrent posters while 3 subscribers drop and resume at random points', async (t) => {
  const { srv, a: owner, room } = await aloneInARoom(t);
  const posters = await Promise.all(Array.from({ length: 20 }, () => newUser(srv.url)));
  for (const p of posters)
    t.equal((await api(srv.url, 'POST', `/api/rooms/${room.id}/join`, { token: p.token })).status, 201);
  const startSeq = (await api<RoomBody>(srv.url, 'GET', `/api/rooms/${room.id}`, { token: owner.token })).body.room
    .lastSeq;
  const PER_POSTER = 15;
  const total = posters.length * PER_POSTER;

  let posting = true;
  const received: string[][] = [[], [], []];
  const subscribers = received.map(async (got, i) => {
    let last = String(startSeq);
    let drops = 0;
    while (got.length < total) {
      const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: owner.token, lastEventId: last });
      // Drop after a random number of events while posting goes on; afterwards read to the end.
      const dropAfter = posting && drops < 6 ? 1 + Math.floor(Math.random() * 40) : Infinity;
      let seenHere = 0;
      await s.waitFor(
        (ev) => {
          seenHere = ev.length;
          return got.length + ev.length >= total || seenHere >= dropAfter;
        },
        30_000,
        `subscriber ${i} events`,
      );
      s.close();
      for (const e of s.events) got.push(e.id!);
      last = s.lastId() ?? last;
      drops++;
    }
  });
  await Promise.all(
    posters.map(async (p, i) => {
      for (let k = 0; k < PER_POSTER; k++) await post(srv.url, p, room.id, `p${i}-${k}`);
    }),
  );
  posting = false;
  await Promise.all(subscribers);
  const expected = Array.from({ length: total }, (_, i) => String(startSeq + 1 + i));
  for (const [i, got] of received.entries()) t.same(got, expected, `subscriber ${i}: every event once, in order`);
});

t.test('the frame of an event is encoded once and the same bytes go to every subscriber', async (t) => {
  const { srv, a: alice, room } = await aloneInARoom(t);
  const streams = await Promise.all(
    Array.from({ length: 5 }, () => stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token })),
  );
  t.teardown(() => streams.forEach((s) => s.close()));
  const written: Buffer[] = [];
  const original = Subscriber.prototype.send;
  Subscriber.prototype.send = function (enc) {
    written.push(enc.frame);
    return original.call(this, enc);
  };
  t.teardown(() => void (Subscriber.prototype.send = original));
  await post(srv.url, alice, room.id, 'once');
  await Promise.all(streams.map((s) => s.waitFor((ev) => ev.length >= 1)));
  t.equal(written.length, 5);
  t.ok(
    written.every((b) => b === written[0]),
    'one Buffer object shared by all five subscribers',
  );
});

t.test('streams end on leave, on removal and after room.deleted', async (t) => {
  const { srv, a: owner, b: carol, room } = await twoInARoom(t);
  const dave = await newUser(srv.url);
  await join(srv.url, dave, room.id);

  const ownerStream = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: owner.token });
  const carolStream = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: carol.token });
  const daveStream = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: dave.token });
  t.teardown(() => [ownerStream, carolStream, daveStream].forEach((s) => s.close()));

  t.equal((await api(srv.url, 'POST', `/api/rooms/${room.id}/leave`, { token: carol.token })).status, 204);
  await carolStream.done;
  t.equal(carolStream.events.at(-1)?.event, 'member.left', 'the leaver gets its own member.left, then the stream ends');

  t.equal(
    (await api(srv.url, 'DELETE', `/api/rooms/${room.id}/members/${dave.id}`, { token: owner.token })).status,
    204,
  );
  await daveStream.done;
  t.equal(daveStream.events.at(-1)?.json.payload.reason, 'removed');

  t.equal((await api(srv.url, 'DELETE', `/api/rooms/${room.id}`, { token: owner.token })).status, 204);
  await ownerStream.done;
  t.equal(ownerStream.events.at(-1)?.event, 'room.deleted');
});

t.test('a stream opened with an access token ends when the token expires; an API-token stream does not', async (t) => {
  const srv = await serve(t, { env: { ACCESS_TOKEN_TTL: '2s' } });
  const u = await newUser(srv.url);
  // API tokens do not expire: use one for the setup, so a slow machine cannot make the setup itself time out.
  let apiToken = '';
  for (let attempt = 0; attempt < 5 && !apiToken; attempt++) {
    const login = await api<LoginBody>(srv.url, 'POST', '/api/auth/login', {
      body: { login: u.username, password: u.password },
    });
    const created = await api<NewApiTokenBody>(srv.url, 'POST', '/api/tokens', {
      token: login.body.accessToken,
      body: { name: 'setup' },
    });
    if (created.status === 201) apiToken = created.body.token;
  }
  const room = await newRoom(srv.url, { ...u, token: apiToken });
  const lasting = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: apiToken });
  t.teardown(() => lasting.close());
  let expiring = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: 'none' });
  for (let attempt = 0; attempt < 5 && expiring.status !== 200; attempt++) {
    const login = await api<LoginBody>(srv.url, 'POST', '/api/auth/login', {
      body: { login: u.username, password: u.password },
    });
    expiring = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: login.body.accessToken });
  }
  t.equal(expiring.status, 200);
  t.teardown(() => expiring.close());
  await expiring.done;
  t.equal(expiring.events.at(-1)?.event, 'expired', 'the stream ends with an expired notice');
  await post(srv.url, { ...u, token: apiToken }, room.id, 'still listening?');
  await lasting.waitFor((ev) => ev.length >= 1);
  t.notOk(lasting.ended, 'the API-token stream is still open');
});

t.test('bounded memory: a subscriber that does not read is disconnected', async (t) => {
  const { srv, a: alice, room } = await aloneInARoom(t, { env: { SSE_MAX_QUEUE_BYTES: '65536' } });
  const net = await import('node:net');
  const { port } = new URL(srv.url);
  // A raw client that sends the request and then never reads: its socket receive buffer fills, then the server's.
  const sock = net.connect(Number(port), '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(
    `GET /api/rooms/${room.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${alice.token}\r\n\r\n`,
  );
  sock.pause();
  let closed = false;
  sock.on('close', () => (closed = true));
  sock.on('error', () => {});
  const healthy = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token });
  t.teardown(() => healthy.close());
  await new Promise((r) => setTimeout(r, 200));
  t.equal(srv.app.hub.size, 2, 'both subscribed');
  const big = 'x'.repeat(3900);
  let posted = 0;
  while (srv.app.hub.size === 2 && posted < 2000) {
    await post(srv.url, alice, room.id, big);
    posted++;
  }
  t.equal(srv.app.hub.size, 1, `the stuck subscriber was dropped after ${posted} messages`);
  t.ok(posted < 2000);
  await healthy.waitFor((ev) => ev.length >= posted, 20_000);
  t.equal(healthy.events.length, posted, 'the reading subscriber got everything');
  sock.resume();
  await new Promise<void>((resolve) => (closed ? resolve() : sock.once('close', () => resolve())));
  t.ok(closed, 'the server closed the stuck connection');
});
