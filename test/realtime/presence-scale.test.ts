import t from 'tap';
import { api, join, newMembers, newRoom, newUser, serve, stream, type TestUser } from '../helpers/app.js';
import type { ErrorBody } from '../helpers/bodies.js';
import { presenceEvents, statesOf } from '../helpers/presence.js';
import type { SseEvent, SseStream } from '../helpers/sse.js';

interface WatchBody {
  online: number;
  users: Array<{ userId: string; online: boolean }>;
}

/** Who a stream's presence events say is online in the room: snapshots replace (complete) or patch, changes patch. */
function onlineSet(events: SseEvent[]): Set<string> {
  const online = new Set<string>();
  for (const e of presenceEvents(events)) {
    if (e.json.snapshot && e.json.complete) online.clear();
    for (const c of e.json.changes as Array<{ userId: string; online: boolean }>) {
      if (c.online) online.add(c.userId);
      else online.delete(c.userId);
    }
  }
  return online;
}

t.test('many people connecting at once cost each stream a few presence events, not one per person', async (t) => {
  const srv = await serve(t, {
    env: { PRESENCE_WINDOW_MS: '1000', PRESENCE_GRACE_MS: '500', REGISTER_MAX_PER_IP: '1000' },
  });
  const owner = await newUser(srv.url);
  const room = await newRoom(srv.url, owner, { kind: 'public' });
  const crowd = await newMembers(srv.url, room.id, 80);
  const watcher = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: owner.token });
  t.teardown(() => watcher.close());
  await watcher.waitForEphemeral((e) => presenceEvents(e).length === 1, 10_000, 'the first snapshot');

  const streams: SseStream[] = await Promise.all(
    crowd.map((u) => stream(srv.url, `/api/rooms/${room.id}/events`, { token: u.token })),
  );
  t.teardown(() => streams.forEach((s) => s.close()));
  const everyone = new Set([owner.id, ...crowd.map((u) => u.id)]);
  const sees = (s: SseStream) => () => {
    const now = onlineSet(s.ephemeral);
    return now.size === everyone.size && [...everyone].every((id) => now.has(id));
  };
  await watcher.waitForEphemeral(sees(watcher), 20_000, 'everyone online on the first stream');
  for (const s of streams) await s.waitForEphemeral(sees(s), 20_000, 'everyone online on a newcomer');

  const counts = [watcher, ...streams].map((s) => presenceEvents(s.ephemeral).length);
  t.ok(
    Math.max(...counts) < 20,
    `81 people came online; the most presence events one stream got: ${Math.max(...counts)}`,
  );
  t.equal(presenceEvents(watcher.ephemeral).at(-1)!.json.online, 81, 'the last event counts everyone');
  t.ok(
    presenceEvents(watcher.ephemeral).every((e) => e.json.complete === true),
    'a room under PRESENCE_FULL_LIMIT lists every change',
  );

  for (const s of streams.slice(0, 40)) s.close();
  const left = new Set(crowd.slice(0, 40).map((u) => u.id));
  await watcher.waitForEphemeral(
    () => [...left].every((id) => statesOf(watcher.ephemeral, id).at(-1) === false),
    20_000,
    'forty gone',
  );
  t.equal(presenceEvents(watcher.ephemeral).at(-1)!.json.online, 41, 'the count follows');
  t.ok(presenceEvents(watcher.ephemeral).length - counts[0]! < 15, 'forty leaving: a few events too');
});

t.test('a big room sends counts, and each client only the changes of the people it watches', async (t) => {
  const env = { PRESENCE_WINDOW_MS: '100', PRESENCE_GRACE_MS: '100', PRESENCE_FULL_LIMIT: '3' };
  const srv = await serve(t, { env });
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice, { kind: 'public' });
  const [bob, carl, dave, erin] = await Promise.all([1, 2, 3, 4].map(() => newUser(srv.url)));
  for (const u of [bob!, carl!, dave!, erin!]) await join(srv.url, u, room.id);
  const open = (u: TestUser) => stream(srv.url, `/api/rooms/${room.id}/events`, { token: u.token });
  const others = await Promise.all([carl!, dave!, erin!].map(open));
  t.teardown(() => others.forEach((s) => s.close()));
  const [carls, daves] = others as [SseStream, SseStream];
  let sa = await open(alice);
  const sb = await open(bob!);
  t.teardown(() => [sa, sb].forEach((s) => s.close()));
  const last = (s: SseStream) => presenceEvents(s.ephemeral).at(-1)?.json;
  await sb.waitForEphemeral(() => last(sb)?.online === 5, 10_000, 'five online');
  t.equal(last(sb).complete, false, 'five online is over the limit of 3: counts, not every change');

  const watch = (userIds: unknown) =>
    api<WatchBody>(srv.url, 'PUT', `/api/rooms/${room.id}/presence/watch`, { token: alice.token, body: { userIds } });
  const answer = await watch([carl!.id, bob!.id]);
  t.equal(answer.status, 200);
  t.same(
    answer.body,
    {
      online: 5,
      users: [
        { userId: carl!.id, online: true },
        { userId: bob!.id, online: true },
      ],
    },
    'the watch answers the state of the people asked about, and the count',
  );

  carls.close();
  await sa.waitForEphemeral(() => statesOf(sa.ephemeral, carl!.id).includes(false), 10_000, 'carl offline for alice');
  t.same(last(sa).changes, [{ userId: carl!.id, online: false }], 'alice, who watches carl, hears he left');
  t.equal(last(sa).online, 4);
  await sb.waitForEphemeral(() => last(sb).online === 4, 10_000, 'the count for bob');
  t.same(last(sb).changes, [], 'bob, who watches nobody, gets the count only');

  daves.close();
  await sa.waitForEphemeral(() => last(sa).online === 3, 10_000, 'the count for alice');
  t.same(statesOf(sa.ephemeral, dave!.id), [], 'alice never hears of dave, whom she does not watch');
  t.equal(last(sa).complete, true, 'three online is at the limit: complete again');
  t.equal(last(sa).snapshot, true, 'with a snapshot, as streams knew only the people they watched');
  t.same(
    (last(sa).changes as Array<{ userId: string }>).map((c) => c.userId).sort(),
    [alice.id, bob!.id, erin!.id].sort(),
  );

  // Watches end with the user's last stream here: a new stream starts with none.
  const backs = await Promise.all([open(carl!), open(dave!)]);
  t.teardown(() => backs.forEach((s) => s.close()));
  const back = backs[0]!;
  await sa.waitForEphemeral(() => last(sa).online === 5, 10_000, 'carl and dave back');
  sa.close();
  sa = await open(alice);
  await sa.waitForEphemeral(() => presenceEvents(sa.ephemeral).length === 1, 10_000, "alice's new snapshot");
  t.same(last(sa).changes, [], 'a big room again: her new stream has no watch list left');
  t.equal((await watch([carl!.id])).status, 200, 'she asks again');
  back.close();
  await sa.waitForEphemeral(() => statesOf(sa.ephemeral, carl!.id).includes(false), 10_000, 'carl gone again');
  t.pass('and hears of carl again');
});

t.test('the watch route refuses what it cannot take, in the documented error shape', async (t) => {
  const srv = await serve(t);
  const alice = await newUser(srv.url);
  const outsider = await newUser(srv.url);
  const room = await newRoom(srv.url, alice, { kind: 'public' });
  const secret = await newRoom(srv.url, alice, { kind: 'private' });
  const watch = (roomId: string, user: TestUser, body: unknown) =>
    api<ErrorBody>(srv.url, 'PUT', `/api/rooms/${roomId}/presence/watch`, { token: user.token, body });
  const cases: Array<[string, Promise<{ status: number; body: ErrorBody }>, number, string]> = [
    ['a public room the caller has not joined', watch(room.id, outsider, { userIds: [alice.id] }), 403, 'NOT_A_MEMBER'],
    ['a private room of others', watch(secret.id, outsider, { userIds: [alice.id] }), 404, 'ROOM_NOT_FOUND'],
    ['a room that does not exist', watch('AAAAAAAAAAAAAAAA', alice, { userIds: [] }), 404, 'ROOM_NOT_FOUND'],
    ['201 ids', watch(room.id, alice, { userIds: Array(201).fill(outsider.id) }), 400, 'VALIDATION_FAILED'],
    ['an id that is not one', watch(room.id, alice, { userIds: ['../etc'] }), 400, 'VALIDATION_FAILED'],
    ['ids that are not strings', watch(room.id, alice, { userIds: [1, 2] }), 400, 'VALIDATION_FAILED'],
    ['no list', watch(room.id, alice, {}), 400, 'VALIDATION_FAILED'],
  ];
  for (const [what, call, status, code] of cases) {
    const res = await call;
    t.equal(res.status, status, what);
    t.equal(res.body.error.code, code, `${what}: ${code}`);
    t.type(res.body.error.message, 'string');
  }
  const unauthenticated = await api(srv.url, 'PUT', `/api/rooms/${room.id}/presence/watch`, {
    body: { userIds: [] },
  });
  t.equal(unauthenticated.status, 401);
  const ok = await api<WatchBody>(srv.url, 'PUT', `/api/rooms/${room.id}/presence/watch`, {
    token: alice.token,
    body: { userIds: [outsider.id, outsider.id] },
  });
  t.same(ok.body, { online: 0, users: [{ userId: outsider.id, online: false }] }, 'a repeated id counts once');
  const docs = await api(srv.url, 'GET', '/docs/json');
  const route = docs.body.paths?.['/api/rooms/{roomId}/presence/watch']?.put;
  t.ok(route, 'the route is in the OpenAPI document');
  t.ok(route?.responses?.['403'] && route?.responses?.['404'] && route?.responses?.['400'], 'with its error statuses');
});
