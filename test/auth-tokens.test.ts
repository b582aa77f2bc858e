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
  const body = { username: 'tess', email: 'tess@example.com', password: STRONG };
  await api(srv.url, 'POST', '/api/auth/register', { body });
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
  const expMs = (claims.exp as number) * 1000;
  t.equal(expMs, Math.floor(Date.parse(login.body.expiresAt) / 1000) * 1000, 'exp is the answered expiry');
  t.ok(Math.abs(expMs - Date.now() - 10 * 60_000) < 5000, 'ACCESS_TOKEN_TTL sets the lifetime');
  const refreshClaims = claimsOf(refresh);
  t.equal(refreshClaims.sid, claims.sid, 'the refresh token names the same session');
  t.ok(Math.abs((refreshClaims.exp as number) * 1000 - Date.now() - 3_600_000) < 5000, 'and ends with it');

  const refreshWith = (cookie: string) =>
    api(srv.url, 'POST', '/api/auth/refresh', { headers: { cookie: `parley_refresh=${cookie}`, origin: srv.url } });
  const asRefresh = await refreshWith(access);
  t.equal(asRefresh.status, 401);
  t.equal(asRefresh.body.error.code, 'INVALID_REFRESH_TOKEN', 'an access token is not a refresh token');
  const meWith = async (token: string) => (await api(srv.url, 'GET', '/api/me', { token })).status;
  t.equal(await meWith(refresh), 401, 'a refresh token is not an access token');

  const secret = srv.config.jwtSecret;
  const forged = [
    hs256({ ...claims, iss: 'someone-else' }, secret),
    hs256({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 }, secret),
    hs256(claims, 'not the server secret at all, but long enough'),
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    hs256(claims, secret, { alg: 'HS512', typ: 'JWT' }),
  ];
  for (const token of forged) t.equal(await meWith(token), 401, `refused: ${token.slice(0, 40)}`);
  t.equal(await meWith(hs256(claims, secret)), 200, 'positive control: the same claims, signed');

  const forgedRefresh = hs256({ ...refreshClaims, jti: 'guess' }, secret);
  t.equal((await refreshWith(forgedRefresh)).body.error.code, 'INVALID_REFRESH_TOKEN');
  t.equal((await refreshWith(refresh)).status, 200, 'the real refresh cookie still works after the forgeries');
  t.equal((await refreshWith(refresh)).body.error.code, 'REFRESH_TOKEN_REUSED', 'and works once');
});
