import t from 'tap';
import { api, newRoom, newUser, startApp } from './helpers/app.js';

/** Per-user limits on posting messages and creating rooms: 429 in the error envelope, with Retry-After. */

t.test('messages: a user past the limit gets 429 with Retry-After; nothing is stored; others post on', async (t) => {
  const srv = await startApp({ env: { MESSAGE_RATE_LIMIT: '5', MESSAGE_RATE_WINDOW: '1h' } });
  t.teardown(() => srv.close());
  const [alice, bob] = [await newUser(srv.url), await newUser(srv.url)];
  const room = await newRoom(srv.url, alice);
  t.equal((await api(srv.url, 'POST', `/api/rooms/${room.id}/join`, { token: bob.token })).status, 201);
  const send = (token: string, text: string) =>
    api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, { token, body: { text } });

  for (let i = 0; i < 5; i++) t.equal((await send(alice.token, `m${i}`)).status, 201, `message ${i + 1} of 5`);
  const refused = await send(alice.token, 'one too many');
  t.equal(refused.status, 429);
  t.equal(refused.body.error.code, 'TOO_MANY_REQUESTS');
  t.type(refused.body.error.message, 'string');
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.ok(retryAfter > 0 && retryAfter <= 3600, `Retry-After is in seconds within the window (${retryAfter})`);
  t.equal(refused.body.error.details.max, 5);

  // The limit is the user's, whatever the credential: an API token shares it.
  const token = await api(srv.url, 'POST', '/api/tokens', { token: alice.token, body: { name: 'script' } });
  t.equal(token.status, 201);
  t.equal((await send(token.body.token, 'from a script')).status, 429, 'an API token of the same user is limited too');

  t.equal((await send(bob.token, 'bob is not limited by alice')).status, 201, 'another user (same IP) posts on');
  const history = await api(srv.url, 'GET', `/api/rooms/${room.id}/messages`, { token: alice.token });
  const texts = history.body.messages.map((m: { text: string }) => m.text).reverse();
  t.same(texts, ['m0', 'm1', 'm2', 'm3', 'm4', 'bob is not limited by alice']);
});

t.test('messages: the count starts again after the window', async (t) => {
  const srv = await startApp({ env: { MESSAGE_RATE_LIMIT: '2', MESSAGE_RATE_WINDOW: '1s' } });
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  const post = { token: alice.token, body: { text: 'hi' } };
  const send = () => api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, post);
  t.equal((await send()).status, 201);
  t.equal((await send()).status, 201);
  const refused = await send();
  t.equal(refused.status, 429);
  await new Promise((r) => setTimeout(r, Number(refused.headers.get('retry-after')) * 1000 + 100));
  t.equal((await send()).status, 201, 'allowed again once Retry-After has passed');
});

t.test('rooms: a user past the limit gets 429; others create on', async (t) => {
  const srv = await startApp({ env: { ROOM_RATE_LIMIT: '3' } });
  t.teardown(() => srv.close());
  const [alice, bob] = [await newUser(srv.url), await newUser(srv.url)];
  const create = (token: string) => api(srv.url, 'POST', '/api/rooms', { token, body: { name: 'flood' } });
  for (let i = 0; i < 3; i++) t.equal((await create(alice.token)).status, 201);
  const refused = await create(alice.token);
  t.equal(refused.status, 429);
  t.equal(refused.body.error.code, 'TOO_MANY_REQUESTS');
  t.ok(Number(refused.headers.get('retry-after')) > 0, 'with Retry-After');
  t.equal((await create(bob.token)).status, 201, 'another user is not limited');
  const rooms = await api(srv.url, 'GET', '/api/rooms', { token: bob.token });
  t.equal(
    rooms.body.rooms.filter((r: { name: string }) => r.name === 'flood').length,
    4,
    "three of alice's and bob's one",
  );
});

t.test('a limit of 0 turns it off', async (t) => {
  const srv = await startApp({ env: { MESSAGE_RATE_LIMIT: '0', ROOM_RATE_LIMIT: '0' } });
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  for (let i = 0; i < 30; i++) {
    const body = { text: `m${i}` };
    const res = await api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, { token: alice.token, body });
    if (res.status !== 201) t.fail(`message ${i}: ${res.status}`);
  }
  t.pass('30 messages posted');
});
