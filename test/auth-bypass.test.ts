import t from 'tap';
import { api, newUser, startApp } from './helpers/app.js';

t.test('authentication is decided on the matched route, however the path is encoded', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const user = await newUser(srv.url);
  const body = { login: user.username, password: user.password };
  const login = await api(srv.url, 'POST', '/api/auth/login', { body });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  for (const path of ['/%61pi/me', '/api/%6De', '/%61%70%69/me']) {
    t.equal((await api(srv.url, 'GET', path, { token: user.token })).status, 200, `${path} with a token is served`);
    t.equal((await api(srv.url, 'GET', path)).status, 401, `${path} without one is refused`);
  }
  for (const path of ['/%61pi/rooms', '/api/room%73']) {
    const headers = { cookie, origin: 'https://evil.example' };
    const csrf = await api(srv.url, 'POST', path, { body: { name: 'forged' }, headers });
    t.equal(csrf.status, 403, `${path}: a cross-origin cookie request is refused`);
    t.equal(csrf.body.error.code, 'CROSS_ORIGIN');
  }
  t.equal((await api(srv.url, 'GET', '/%61pi/health')).status, 200, 'a public route stays public');
  t.equal((await api(srv.url, 'GET', '/%61pi/no-such-route')).status, 404);
});
