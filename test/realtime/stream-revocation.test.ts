import t from 'tap';
import { api, newRoom, newUser, post, startApp, stream, type TestApp } from '../helpers/app.js';
import type { SseStream } from '../helpers/sse.js';

/** A stream lasts as long as its credential: revoking an API token or changing the password ends streams at once. */

/** Resolves true when the stream ends within the time, false otherwise. */
async function ends(s: SseStream, timeoutMs = 5000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    s.done.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  return ended;
}

const texts = (s: SseStream) =>
  s
    .stored()
    .filter((e) => e.event === 'message.created')
    .map((e) => e.json.payload.message.text);

async function apiToken(srv: TestApp, accessToken: string): Promise<{ id: string; token: string }> {
  const res = await api(srv.url, 'POST', '/api/tokens', { token: accessToken, body: { name: 'script' } });
  if (res.status !== 201) throw new Error(`token: ${res.status}`);
  return res.body;
}

t.test('revoking an API token ends the streams opened with it at once; other streams go on', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  const script = await apiToken(srv, alice.token);
  const other = await apiToken(srv, alice.token);
  const viaToken = [
    await stream(srv.url, '/api/events', { token: script.token }),
    await stream(srv.url, `/api/rooms/${room.id}/events`, { token: script.token }),
  ];
  const untouched = [
    await stream(srv.url, '/api/events', { token: other.token }),
    await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token }),
  ];
  t.teardown(() => [...viaToken, ...untouched].forEach((s) => s.close()));
  for (const s of [...viaToken, ...untouched]) t.equal(s.status, 200);

  t.equal((await api(srv.url, 'DELETE', `/api/tokens/${script.id}`, { token: alice.token })).status, 204);
  for (const s of viaToken) t.ok(await ends(s), "the revoked token's stream ended");
  await post(srv.url, alice, room.id, 'after the revocation');
  for (const s of untouched) await s.waitFor(() => texts(s).includes('after the revocation'), 5000);
  t.same(
    viaToken.map((s) => texts(s)),
    [[], []],
    'nothing reached the revoked streams',
  );
  for (const s of untouched) t.notOk(s.ended);
});

t.test('changing the password ends the streams of API tokens and of the other sessions', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  const script = await apiToken(srv, alice.token);
  const credentials = { login: alice.username, password: alice.password };
  const login = await api(srv.url, 'POST', '/api/auth/login', { body: credentials });
  const viaToken = await stream(srv.url, '/api/events', { token: script.token });
  const otherSession = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: login.body.accessToken });
  const thisSession = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token });
  t.teardown(() => [viaToken, otherSession, thisSession].forEach((s) => s.close()));

  const changed = await api(srv.url, 'PATCH', '/api/me', {
    token: alice.token,
    body: { currentPassword: alice.password, newPassword: `${alice.password} and more` },
  });
  t.equal(changed.status, 200);
  t.ok(await ends(viaToken), "the API token's stream ended");
  t.ok(await ends(otherSession), "the other session's stream ended");
  await post(srv.url, alice, room.id, 'after the change');
  await thisSession.waitFor(() => texts(thisSession).includes('after the change'), 5000);
  t.notOk(thisSession.ended, 'the session that changed the password keeps its stream');
});
