import type { Test } from 'tap';
import { api, post, stream, type TestApp, type TestUser } from './app.js';
import type { ErrorBody, MembersBody } from './bodies.js';
import { statesOf } from './presence.js';
import type { SseStream } from './sse.js';

/**
 * Two instances of Parley on one shared store (A and B): what one instance's streams cause must reach the other's.
 * Alice follows the room on A, bob only on B. Checks presence both ways (events and the members list), typing, and
 * the receipt watermarks that each instance records; leaves alice's stream open (returned) with bob offline.
 * Used on SQLite (two apps sharing one store object) and on MongoDB (two apps with their own connections).
 */
export async function ephemeralsCrossInstances(
  t: Test,
  a: TestApp,
  b: TestApp,
  roomId: string,
  alice: TestUser,
  bob: TestUser,
): Promise<SseStream> {
  const onA = await stream(a.url, `/api/rooms/${roomId}/events`, { token: alice.token });
  const about = (type: string, userId: string) =>
    onA.ephemeral.filter((e) => e.event === type && e.json.user?.id === userId);
  const bobOnline = () => statesOf(onA.ephemeral, bob.id);
  const members = async (base: string) =>
    new Map<string, boolean>(
      (await api<MembersBody>(base, 'GET', `/api/rooms/${roomId}/members`, { token: alice.token })).body.members.map(
        (m) => [m.userId, m.online],
      ),
    );

  const onB = await stream(b.url, `/api/rooms/${roomId}/events`, { token: bob.token });
  await onA.waitForEphemeral(() => bobOnline().at(-1) === true, 10_000, 'bob online on A');
  t.equal((await members(a.url)).get(bob.id), true, 'A lists bob online (his stream is on B)');
  t.equal((await members(b.url)).get(alice.id), true, 'B lists alice online (her stream is on A)');

  t.equal((await api(b.url, 'POST', `/api/rooms/${roomId}/typing`, { token: bob.token })).status, 204);
  await onA.waitForEphemeral(() => about('typing', bob.id).length === 1, 10_000, 'bob typing on A');

  // Posted on B, delivered to alice by A and to bob by B, then read by both: each watermark reaches both sides.
  const seq = (await post(b.url, bob, roomId, 'receipts across instances')).seq as number;
  const mark = (s: SseStream, field: 'deliveredSeq' | 'readSeq') =>
    s.ephemeral.some((e) => e.event === 'receipt' && (e.json[field] as number) >= seq);
  await onA.waitForEphemeral(() => mark(onA, 'deliveredSeq'), 15_000, 'delivered-to-all on A');
  t.equal((await api(a.url, 'POST', `/api/rooms/${roomId}/read`, { token: alice.token, body: { seq } })).status, 200);
  t.equal((await api(b.url, 'POST', `/api/rooms/${roomId}/read`, { token: bob.token, body: { seq } })).status, 200);
  await onA.waitForEphemeral(() => mark(onA, 'readSeq'), 15_000, 'read-by-all on A');
  await onB.waitForEphemeral(() => mark(onB, 'readSeq'), 15_000, 'read-by-all on B');
  t.pass('receipts recorded on either instance reach both');
  t.notOk(
    onB.ephemeral.some((e) => e.event === 'typing'),
    'bob never gets his own typing notice',
  );
  t.equal(statesOf(onB.ephemeral, alice.id).at(-1), true, "B's snapshot for bob has alice online (her stream is on A)");

  onB.close();
  await onA.waitForEphemeral(() => bobOnline().at(-1) === false, 15_000, 'bob offline on A');
  t.equal((await members(a.url)).get(bob.id), false, 'A lists bob offline once his stream on B closed');
  t.same(bobOnline(), [true, false], 'each change once on A');
  return onA;
}

/**
 * Failed sign-ins count against one budget whichever instance they reach: with LOGIN_MAX_FAILURES_PER_ACCOUNT=3 on
 * both, two failures on A and one on B lock the account on A (and B), and the right password is refused too until
 * the window ends.
 */
export async function loginLimitCrossInstances(t: Test, a: TestApp, b: TestApp, user: TestUser): Promise<void> {
  const attempt = (app: TestApp, password: string) =>
    api<ErrorBody>(app.url, 'POST', '/api/auth/login', { body: { login: user.username, password } });
  t.same(
    [(await attempt(a, 'wrong 1')).status, (await attempt(a, 'wrong 2')).status, (await attempt(b, 'wrong 3')).status],
    [401, 401, 401],
  );
  const locked = await attempt(a, user.password);
  t.equal(locked.status, 429, 'the third failure, made on B, counts on A');
  t.equal(locked.body.error.code, 'TOO_MANY_ATTEMPTS');
  t.ok(Number(locked.headers.get('retry-after')) > 0, 'with Retry-After');
  t.equal((await attempt(b, user.password)).status, 429, 'and on B');
}
