import t from 'tap';
import { api, newRoom, newUser, serve, stream } from './helpers/app.js';
import type {
  ApiTokensBody,
  ErrorBody,
  FieldErrorBody,
  LoginBody,
  NewApiTokenBody,
  RoomsBody,
  TokenGrantBody,
  UserBody,
} from './helpers/bodies.js';

const STRONG = 'correct horse battery staple';

/** Cookies from Set-Cookie headers, as a browser would keep them (name -> value and attributes). */
function cookiesOf(headers: Headers): Map<string, { value: string; attrs: string }> {
  const jar = new Map<string, { value: string; attrs: string }>();
  for (const line of headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair!.indexOf('=');
    jar.set(pair!.slice(0, eq).trim(), { value: pair!.slice(eq + 1), attrs: attrs.join(';').trim() });
  }
  return jar;
}

t.test('register: validation, strength with a reason, uniqueness', async (t) => {
  const srv = await serve(t);
  const reg = <T = UserBody>(body: object) => api<T>(srv.url, 'POST', '/api/auth/register', { body });

  const ok = await reg({
    username: 'Alice_1',
    email: 'Alice@Example.com',
    password: STRONG,
    displayName: 'Alice',
    gender: 'female',
  });
  t.equal(ok.status, 201);
  t.equal(ok.body.user.username, 'alice_1', 'usernames are stored lower-cased');
  t.equal(ok.body.user.email, 'alice@example.com');
  t.equal(ok.body.user.gender, 'female');
  t.notOk('passwordHash' in ok.body.user, 'no hash in responses');

  const cases: Array<[object, string, string]> = [
    [{ username: 'ab', email: 'a@b.co', password: STRONG }, 'body.username', 'VALIDATION_FAILED'],
    [{ username: 'x'.repeat(33), email: 'a@b.co', password: STRONG }, 'body.username', 'VALIDATION_FAILED'],
    [{ username: 'bad name', email: 'a@b.co', password: STRONG }, 'body.username', 'VALIDATION_FAILED'],
    [{ username: 'goodname', email: 'not-an-email', password: STRONG }, 'body.email', 'VALIDATION_FAILED'],
    [{ username: 'goodname', email: 'a@b.co', password: 'short1!' }, 'password', 'WEAK_PASSWORD'],
    [{ username: 'goodname', email: 'a@b.co', password: 'password123' }, 'password', 'WEAK_PASSWORD'],
    [{ username: 'goodname', email: 'a@b.co', password: 'goodname12345' }, 'password', 'WEAK_PASSWORD'],
    [{ username: 'goodname', email: 'a@b.co', password: STRONG, gender: 'robot' }, 'body.gender', 'VALIDATION_FAILED'],
    [{ username: 'goodname', email: 'a@b.co' }, 'body.password', 'VALIDATION_FAILED'],
  ];
  for (const [body, path, code] of cases) {
    const res = await reg<FieldErrorBody>(body);
    t.equal(res.status, 400, `${JSON.stringify(body)} -> 400`);
    t.equal(res.body.error.code, code);
    t.ok(
      res.body.error.details.some((d) => d.path === path),
      `details name ${path}`,
    );
  }
  const weak = await reg<ErrorBody>({ username: 'goodname', email: 'a@b.co', password: 'password123' });
  t.match(weak.body.error.message, /too weak: .+/, 'the reason is given');

  const dupName = await reg<ErrorBody>({ username: 'ALICE_1', email: 'other@example.com', password: STRONG });
  t.equal(dupName.status, 409);
  t.equal(dupName.body.error.code, 'USERNAME_TAKEN');
  const dupMail = await reg<ErrorBody>({ username: 'alice2', email: 'ALICE@example.com', password: STRONG });
  t.equal(dupMail.status, 409);
  t.equal(dupMail.body.error.code, 'EMAIL_TAKEN');
  t.equal(
    (await reg({ username: 'goodname', email: 'good@example.com', password: STRONG })).status,
    201,
    'nothing was written by the failures',
  );
});

t.test('login: same 401 for unknown user and wrong password; cookies; rate limit', async (t) => {
  const srv = await serve(t, { env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_MAX_FAILURES_PER_IP: '8' } });
  await api(srv.url, 'POST', '/api/auth/register', {
    body: { username: 'bob', email: 'bob@example.com', password: STRONG },
  });

  const good = await api<LoginBody>(srv.url, 'POST', '/api/auth/login', {
    body: { login: 'BOB@example.com', password: STRONG },
  });
  t.equal(good.status, 200);
  t.type(good.body.accessToken, 'string');
  t.ok(Date.parse(good.body.expiresAt) > Date.now());
  const jar = cookiesOf(good.headers);
  t.match(jar.get('parley_access')?.attrs, /HttpOnly/);
  t.match(jar.get('parley_access')?.attrs, /SameSite=Strict/);
  t.match(jar.get('parley_refresh')?.attrs, /Path=\/api\/auth/);
  t.notMatch(jar.get('parley_access')?.attrs, /Secure/, 'no Secure flag over plain http');

  const unknown = await api<ErrorBody>(srv.url, 'POST', '/api/auth/login', {
    body: { login: 'nobody', password: STRONG },
  });
  const wrong = await api<ErrorBody>(srv.url, 'POST', '/api/auth/login', {
    body: { login: 'bob', password: 'wrong password here' },
  });
  t.equal(unknown.status, 401);
  t.equal(wrong.status, 401);
  t.same(unknown.body, wrong.body, 'an unknown user and a wrong password look the same');

  // bob has 1 failure; two more reach the per-account limit of 3.
  await api(srv.url, 'POST', '/api/auth/login', { body: { login: 'bob', password: 'wrong password 2' } });
  await api(srv.url, 'POST', '/api/auth/login', { body: { login: 'bob', password: 'wrong password 3' } });
  const limited = await api<ErrorBody>(srv.url, 'POST', '/api/auth/login', {
    body: { login: 'bob', password: STRONG },
  });
  t.equal(limited.status, 429, 'even the right password waits once the account is limited');
  t.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After is given');
  t.equal(limited.body.error.code, 'TOO_MANY_ATTEMPTS');

  // Per IP: 8 failures in all from this address (3 for bob + the unknown one so far).
  for (let i = 0; i < 4; i++)
    await api(srv.url, 'POST', '/api/auth/login', { body: { login: `ghost${i}`, password: 'whatever pass' } });
  const ipLimited = await api(srv.url, 'POST', '/api/auth/login', {
    body: { login: 'someone-else', password: 'whatever pass' },
  });
  t.equal(ipLimited.status, 429, 'per-IP limit across accounts');
});

t.test('refresh rotates; a spent token reused revokes the family; logout ends the session', async (t) => {
  const srv = await serve(t);
  await api(srv.url, 'POST', '/api/auth/register', {
    body: { username: 'carol', email: 'carol@example.com', password: STRONG },
  });
  const login = await api(srv.url, 'POST', '/api/auth/login', { body: { login: 'carol', password: STRONG } });
  const origin = { origin: srv.url };
  const r0 = cookiesOf(login.headers).get('parley_refresh')!.value;

  const refreshed = await api<TokenGrantBody>(srv.url, 'POST', '/api/auth/refresh', {
    headers: { cookie: `parley_refresh=${r0}`, ...origin },
  });
  t.equal(refreshed.status, 200);
  const r1 = cookiesOf(refreshed.headers).get('parley_refresh')!.value;
  const a1 = cookiesOf(refreshed.headers).get('parley_access')!.value;
  t.not(r1, r0, 'the refresh token rotates');
  t.equal(
    (await api(srv.url, 'GET', '/api/me', { headers: { cookie: `parley_access=${a1}` } })).status,
    200,
    'the new access cookie works',
  );

  const crossSite = await api(srv.url, 'POST', '/api/auth/refresh', {
    headers: { cookie: `parley_refresh=${r1}`, origin: 'https://evil.example' },
  });
  t.equal(crossSite.status, 403, 'refresh from another origin is refused');

  const reuse = await api<ErrorBody>(srv.url, 'POST', '/api/auth/refresh', {
    headers: { cookie: `parley_refresh=${r0}`, ...origin },
  });
  t.equal(reuse.status, 401);
  t.equal(reuse.body.error.code, 'REFRESH_TOKEN_REUSED');
  const afterReuse = await api(srv.url, 'POST', '/api/auth/refresh', {
    headers: { cookie: `parley_refresh=${r1}`, ...origin },
  });
  t.equal(afterReuse.status, 401, 'the whole family is revoked, including the newest token');
  t.equal(
    (await api(srv.url, 'GET', '/api/me', { token: refreshed.body.accessToken })).status,
    401,
    'and its access tokens stop working',
  );

  // Logout: a fresh session, a live stream on it, then logout.
  const again = await api<LoginBody>(srv.url, 'POST', '/api/auth/login', {
    body: { login: 'carol', password: STRONG },
  });
  const token = again.body.accessToken;
  const room = await newRoom(srv.url, { id: again.body.user.id, username: 'carol', password: STRONG, token });
  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token });
  const out = await api(srv.url, 'POST', '/api/auth/logout', { token });
  t.equal(out.status, 204);
  t.match(out.headers.getSetCookie().join('\n'), /parley_access=;/, 'cookies cleared');
  t.equal((await api(srv.url, 'GET', '/api/me', { token })).status, 401, 'the access token no longer works');
  await s.done;
  t.ok(s.ended, 'streams of the session are closed');
});

t.test('sessions end SESSION_TTL after login, refresh or not; access tokens expire', async (t) => {
  const srv = await serve(t, { env: { ACCESS_TOKEN_TTL: '1s', SESSION_TTL: '5s' } });
  await api(srv.url, 'POST', '/api/auth/register', {
    body: { username: 'dan', email: 'dan@example.com', password: STRONG },
  });
  const login = await api<LoginBody>(srv.url, 'POST', '/api/auth/login', { body: { login: 'dan', password: STRONG } });
  let refresh = cookiesOf(login.headers).get('parley_refresh')!.value;
  await new Promise((r) => setTimeout(r, 1200));
  t.equal(
    (await api(srv.url, 'GET', '/api/me', { token: login.body.accessToken })).status,
    401,
    'access token expired',
  );
  const deadline = Date.now() + 10_000;
  let lastStatus = 200;
  let refreshes = 0;
  while (Date.now() < deadline) {
    const res = await api<TokenGrantBody>(srv.url, 'POST', '/api/auth/refresh', {
      headers: { cookie: `parley_refresh=${refresh}`, origin: srv.url },
    });
    lastStatus = res.status;
    if (res.status !== 200) break;
    refreshes++;
    t.ok(
      Date.parse(res.body.expiresAt) <= Date.parse(login.body.expiresAt) + 5000,
      'access expiry never passes the session end',
    );
    refresh = cookiesOf(res.headers).get('parley_refresh')!.value;
    await new Promise((r) => setTimeout(r, 500));
  }
  t.ok(refreshes >= 2, 'refresh works while the session lasts');
  t.equal(lastStatus, 401, 'then the session is over, however often it was refreshed');
});

t.test('cookie auth on unsafe methods requires the same origin; Bearer does not', async (t) => {
  const srv = await serve(t);
  const u = await newUser(srv.url);
  const login = await api(srv.url, 'POST', '/api/auth/login', { body: { login: u.username, password: u.password } });
  const cookie = `parley_access=${cookiesOf(login.headers).get('parley_access')!.value}`;
  const body = { name: 'from a form' };
  t.equal(
    (await api(srv.url, 'POST', '/api/rooms', { body, headers: { cookie, origin: 'https://evil.example' } })).status,
    403,
    'foreign Origin',
  );
  t.equal(
    (await api(srv.url, 'POST', '/api/rooms', { body, headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status,
    403,
    'cross-site fetch',
  );
  t.equal(
    (await api(srv.url, 'POST', '/api/rooms', { body, headers: { cookie } })).status,
    403,
    'no origin information at all',
  );
  t.equal((await api(srv.url, 'GET', '/api/rooms', { headers: { cookie } })).status, 200, 'safe methods are fine');
  t.equal(
    (await api(srv.url, 'POST', '/api/rooms', { body, headers: { cookie, origin: srv.url } })).status,
    201,
    'same origin',
  );
  t.equal(
    (await api(srv.url, 'POST', '/api/rooms', { body, headers: { cookie, 'sec-fetch-site': 'same-origin' } })).status,
    201,
  );
  t.equal(
    (await api(srv.url, 'POST', '/api/rooms', { body, token: u.token, headers: { origin: 'https://evil.example' } }))
      .status,
    201,
    'Bearer requests carry no ambient authority',
  );
  const rooms = (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: u.token })).body.rooms;
  t.equal(rooms.length, 3, 'the refused requests created nothing');
});

t.test('personal API tokens: shown once, hashed, usable as Bearer, revocable', async (t) => {
  const srv = await serve(t);
  const u = await newUser(srv.url);
  const created = await api<NewApiTokenBody>(srv.url, 'POST', '/api/tokens', {
    token: u.token,
    body: { name: 'deploy bot' },
  });
  t.equal(created.status, 201);
  t.match(created.body.token, /^pt_/);
  const list = await api<ApiTokensBody>(srv.url, 'GET', '/api/tokens', { token: u.token });
  t.same(
    list.body.tokens.map((x) => x.name),
    ['deploy bot'],
  );
  t.notOk(JSON.stringify(list.body).includes(created.body.token), 'the secret is never listed');
  const me = await api<UserBody>(srv.url, 'GET', '/api/me', { token: created.body.token });
  t.equal(me.body.user.id, u.id);
  t.equal(
    (await api(srv.url, 'POST', '/api/tokens', { token: created.body.token, body: { name: 'more' } })).status,
    403,
    'a token cannot mint tokens',
  );
  const listed = (await api<ApiTokensBody>(srv.url, 'GET', '/api/tokens', { token: u.token })).body.tokens[0];
  t.ok(listed?.lastUsedAt, 'last use is recorded');
  t.equal((await api(srv.url, 'DELETE', `/api/tokens/${created.body.id}`, { token: u.token })).status, 204);
  t.equal((await api(srv.url, 'GET', '/api/me', { token: created.body.token })).status, 401, 'revoked');
  t.equal((await api(srv.url, 'DELETE', `/api/tokens/${created.body.id}`, { token: u.token })).status, 404);
  t.equal((await api(srv.url, 'GET', '/api/me', { token: 'pt_forged' })).status, 401);
  t.equal((await api(srv.url, 'GET', '/api/me', { headers: { authorization: 'Basic abc' } })).status, 401);
});

t.test('profile: update, and password change needs the current password and ends other sessions', async (t) => {
  const srv = await serve(t);
  const u = await newUser(srv.url);
  const other = await api<LoginBody>(srv.url, 'POST', '/api/auth/login', {
    body: { login: u.username, password: u.password },
  });
  const patched = await api<UserBody>(srv.url, 'PATCH', '/api/me', {
    token: u.token,
    body: { displayName: '  Uma  ', avatar: 'owl', gender: 'other' },
  });
  t.equal(patched.status, 200);
  t.same([patched.body.user.displayName, patched.body.user.avatar, patched.body.user.gender], ['Uma', 'owl', 'other']);
  t.equal((await api(srv.url, 'PATCH', '/api/me', { token: u.token, body: {} })).status, 400, 'nothing to change');
  t.equal((await api(srv.url, 'PATCH', '/api/me', { token: u.token, body: { avatar: 'dragon' } })).status, 400);
  const noCurrent = await api(srv.url, 'PATCH', '/api/me', {
    token: u.token,
    body: { newPassword: 'a brand new passphrase' },
  });
  t.equal(noCurrent.status, 400);
  const wrongCurrent = await api<ErrorBody>(srv.url, 'PATCH', '/api/me', {
    token: u.token,
    body: { currentPassword: 'nope nope nope', newPassword: 'a brand new passphrase' },
  });
  t.equal(wrongCurrent.body.error.code, 'WRONG_PASSWORD');
  const weakNew = await api<ErrorBody>(srv.url, 'PATCH', '/api/me', {
    token: u.token,
    body: { currentPassword: u.password, newPassword: 'password12' },
  });
  t.equal(weakNew.body.error.code, 'WEAK_PASSWORD');
  const changed = await api(srv.url, 'PATCH', '/api/me', {
    token: u.token,
    body: { currentPassword: u.password, newPassword: 'a brand new passphrase' },
  });
  t.equal(changed.status, 200);
  t.equal((await api(srv.url, 'GET', '/api/me', { token: u.token })).status, 200, 'this session continues');
  t.equal(
    (await api(srv.url, 'GET', '/api/me', { token: other.body.accessToken })).status,
    401,
    'the other session ended',
  );
  t.equal(
    (await api(srv.url, 'POST', '/api/auth/login', { body: { login: u.username, password: u.password } })).status,
    401,
    'old password gone',
  );
  t.equal(
    (await api(srv.url, 'POST', '/api/auth/login', { body: { login: u.username, password: 'a brand new passphrase' } }))
      .status,
    200,
  );
});
