import { createHmac } from 'node:crypto';
import t from 'tap';
import { api, startApp } from './helpers/app.js';

const STRONG = 'correct horse battery staple';

function b64(obj: object): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}
function hs256(payload: object, secret: string, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}
function cookieValue(headers: Headers, name: string): string {
  const line = headers.getSetCookie().find((l) => l.startsWith(`${name}=`))!;
  return line.slice(name.length + 1, line.indexOf(';'));
}

t.test('access and refresh tokens: algorithm, issuer, expiry, and neither passes as the other', async (t) => {
  const srv = await startApp({ env: { ACCESS_TOKEN_TTL: '10m', SESSION_TTL: '1h' } });
  t.teardown(() => srv.close());
  await api(srv.url, 'POST', '/api/auth/register', { body: { username: 'tess', email: 'tess@example.com', password: STRONG } });
  const login = await api(srv.url, 'POST', '/api/auth/login', { body: { login: 'tess', password: STRONG } });
  t.equal(login.status, 200);
  const access = login.body.accessToken as string;
  const refresh = cookieValue(login.headers, 'parley_refresh');
  t.equal(cookieValue(login.headers, 'parley_access'), access, 'the access cookie holds the access token');

  const header = JSON.parse(Buffer.from(access.split('.')[0]!, 'base64url').toString());
  t.equal(header.alg, 'HS256');
  const claims = claimsOf(access);
  t.equal(claims.iss, 'parley');
  t.equal(claims.sub, login.body.user.id);
  t.equal((claims.exp as number) * 1000, Math.floor(Date.parse(login.body.expiresAt) / 1000) * 1000, 'exp is the answered expiry');
  t.ok(Math.abs((claims.exp as number) * 1000 - Date.now() - 10 * 60_000) < 5000, 'ACCESS_TOKEN_TTL sets the lifetime');
  const refreshClaims = claimsOf(refresh);
  t.equal(refreshClaims.sid, claims.sid, 'the refresh token names the same session');
  t.ok(Math.abs((refreshClaims.exp as number) * 1000 - Date.now() - 3_600_000) < 5000, 'and ends with it');

  const origin = { origin: srv.url };
  const asRefresh = await api(srv.url, 'POST', '/api/auth/refresh', { headers: { cookie: `parley_refresh=${access}`, ...origin } });
  t.equal(asRefresh.status, 401);
  t.equal(asRefresh.body.error.code, 'INVALID_REFRESH_TOKEN', 'an access token is not a refresh token');
  t.equal((await api(srv.url, 'GET', '/api/me', { token: refresh })).status, 401, 'a refresh token is not an access token');

  const secret = srv.config.jwtSecret;
  const forged = [
    hs256({ ...claims, iss: 'someone-else' }, secret),
    hs256({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 }, secret),
    hs256(claims, 'not the server secret at all, but long enough'),
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    hs256(claims, secret, { alg: 'HS512', typ: 'JWT' }),
  ];
  for (const token of forged) t.equal((await api(srv.url, 'GET', '/api/me', { token })).status, 401, `refused: ${token.slice(0, 40)}`);
  t.equal((await api(srv.url, 'GET', '/api/me', { token: hs256(claims, secret) })).status, 200, 'positive control: same claims, signed');

  const forgedRefresh = hs256({ ...refreshClaims, jti: 'guess' }, secret);
  const r = await api(srv.url, 'POST', '/api/auth/refresh', { headers: { cookie: `parley_refresh=${forgedRefresh}`, ...origin } });
  t.equal(r.body.error.code, 'INVALID_REFRESH_TOKEN');
  const good = await api(srv.url, 'POST', '/api/auth/refresh', { headers: { cookie: `parley_refresh=${refresh}`, ...origin } });
  t.equal(good.status, 200, 'the real refresh cookie still works after the forgeries');
  const again = await api(srv.url, 'POST', '/api/auth/refresh', { headers: { cookie: `parley_refresh=${refresh}`, ...origin } });
  t.equal(again.body.error.code, 'REFRESH_TOKEN_REUSED', 'and works once');
});
