import t from 'tap';
import { api, join, newRoom, newUser, post, serve, stream, twoInARoom } from '../helpers/app.js';
import type { HealthBody, LogBody } from '../helpers/bodies.js';

/** The parts of the OpenAPI document these tests read. */
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown }>>;
}

t.test('GET /api/events: one stream for all my rooms, a cursor id that resumes every room', async (t) => {
  const srv = await serve(t);
  const a = await newUser(srv.url);
  const b = await newUser(srv.url);
  const r1 = await newRoom(srv.url, a, { name: 'one' });
  const r2 = await newRoom(srv.url, a, { name: 'two', kind: 'private' });
  const other = await newRoom(srv.url, b, { name: 'not mine' });

  const s = await stream(srv.url, '/api/events', { token: a.token });
  await post(srv.url, a, r1.id, 'in one');
  await post(srv.url, a, r2.id, 'in two');
  await post(srv.url, b, other.id, 'elsewhere');
  await s.waitFor((ev) => ev.length >= 2);
  t.same(
    s.events.map((e) => e.json.payload.message.text),
    ['in one', 'in two'],
    'only my rooms',
  );
  const cursor = s.lastId()!;
  t.same(
    (await srv.app.hub.cursorBases.resume(cursor))?.positions,
    new Map([
      [r1.id, 2],
      [r2.id, 2],
    ]),
    'the cursor',
  );
  s.close();

  // Away: events in both rooms, and a room joined meanwhile via an invite.
  await post(srv.url, a, r1.id, 'missed one');
  await post(srv.url, a, r2.id, 'missed two');
  const resumed = await stream(srv.url, '/api/events', { token: a.token, lastEventId: cursor });
  t.teardown(() => resumed.close());
  await resumed.waitFor((ev) => ev.length >= 2);
  t.same(
    resumed.events.map((e) => e.json.payload.message.text).sort(),
    ['missed one', 'missed two'],
    'each room resumes from its own position',
  );

  // Joining while connected adds the room to the stream, starting with the join itself.
  await join(srv.url, a, other.id);
  await post(srv.url, b, other.id, 'welcome');
  await resumed.waitFor((ev) => ev.length >= 4);
  t.same(
    resumed.events.slice(2).map((e) => e.event),
    ['member.joined', 'message.created'],
  );
  t.equal(
    (await srv.app.hub.cursorBases.resume(resumed.lastId()!))?.positions.get(other.id),
    4,
    'the cursor now includes the new room',
  );

  // Leaving removes it again; the stream stays open for the other rooms.
  await api(srv.url, 'POST', `/api/rooms/${other.id}/leave`, { token: a.token });
  await post(srv.url, b, other.id, 'after you left');
  await post(srv.url, a, r1.id, 'still here');
  await resumed.waitFor((ev) => ev.some((e) => e.json?.payload?.message?.text === 'still here'));
  t.notOk(
    resumed.events.some((e) => e.json?.payload?.message?.text === 'after you left'),
    'nothing from a room I left',
  );
  t.notOk(resumed.ended);

  const bad = await stream(srv.url, '/api/events', { token: a.token, lastEventId: 'not a cursor' });
  t.equal(bad.status, 400);
});

t.test('health and API documentation', async (t) => {
  const srv = await serve(t);
  const health = await api<HealthBody>(srv.url, 'GET', '/api/health');
  t.equal(health.body.status, 'ok');
  t.equal(health.body.store, 'sqlite');
  const doc = await api<OpenApiDoc>(srv.url, 'GET', '/docs/json');
  t.equal(doc.status, 200);
  t.equal(doc.body.openapi.slice(0, 2), '3.');
  for (const p of [
    '/api/auth/register',
    '/api/auth/login',
    '/api/rooms/{roomId}/messages',
    '/api/rooms/{roomId}/events',
    '/api/events',
    '/api/tokens',
  ]) {
    t.ok(doc.body.paths[p], `documents ${p}`);
  }
  t.ok(doc.body.paths['/api/rooms/{roomId}/messages']!.post!.requestBody, 'request bodies come from the route schemas');
  t.equal((await fetch(`${srv.url}/docs`)).status, 200, 'a browsable page at /docs');
});

t.test('the room log as JSON: pages newest first, same events as the stream', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  for (let i = 0; i < 7; i++) await post(srv.url, a, room.id, `m${i}`);
  await api(srv.url, 'PATCH', `/api/rooms/${room.id}`, { token: a.token, body: { topic: 'news' } });
  const first = await api<LogBody>(srv.url, 'GET', `/api/rooms/${room.id}/log?limit=4`, { token: b.token });
  t.same(
    first.body.events.map((e) => e.seq),
    [10, 9, 8, 7],
  );
  t.equal(first.body.events[0]!.type, 'room.updated');
  const rest = await api<LogBody>(srv.url, 'GET', `/api/rooms/${room.id}/log?before=7&limit=100`, { token: b.token });
  t.same(
    rest.body.events.map((e) => e.seq),
    [6, 5, 4, 3, 2, 1],
  );
  t.same(
    rest.body.events.slice(-2).map((e) => e.type),
    ['member.joined', 'member.joined'],
  );
  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: b.token, lastEventId: '0' });
  await s.waitFor((ev) => ev.length >= 10);
  s.close();
  t.same(
    s.events.map((e) => e.json).reverse(),
    [...first.body.events, ...rest.body.events],
    'identical to what the stream carries',
  );
  t.equal(
    (await api<LogBody>(srv.url, 'GET', `/api/rooms/${room.id}/log?before=1`, { token: b.token })).body.events.length,
    0,
  );
  t.equal((await api(srv.url, 'GET', `/api/rooms/${room.id}/log?limit=0`, { token: b.token })).status, 400);
  const outsider = await newUser(srv.url);
  t.equal((await api(srv.url, 'GET', `/api/rooms/${room.id}/log`, { token: outsider.token })).status, 403);
});
