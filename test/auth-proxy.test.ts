import { rmSync } from 'node:fs';
import t from 'tap';
import { ConfigError, loadConfig } from '../server/config.js';
import { api, newUser, startApp, tempDir } from './helpers/app.js';

for (const trust of ['1', '127.0.0.1']) {
  t.test(`TRUST_PROXY=${trust}: a forged X-Forwarded-For does not change the client address`, async (t) => {
    const srv = await startApp({ env: { TRUST_PROXY: trust, LOGIN_MAX_FAILURES_PER_IP: '3' } });
    t.teardown(() => srv.close());
    const attempt = (xff: string) =>
      api(srv.url, 'POST', '/api/auth/login', {
        body: { login: `ghost${Math.random()}`, password: 'nope nope' },
        headers: { 'x-forwarded-for': xff },
      });
    // nginx's $proxy_add_x_forwarded_for appends the address it saw to whatever the client sent.
    for (let i = 1; i <= 3; i++) t.equal((await attempt(`203.0.113.${i}, 198.51.100.7`)).status, 401);
    const rotated = await attempt('203.0.113.99, 198.51.100.7');
    t.equal(rotated.status, 429, 'rotating the forged left-hand address does not help');
    t.equal((await attempt('198.51.100.8')).status, 401, 'another client behind the proxy has its own budget');

    const user = await newUser(srv.url);
    const login = await api(srv.url, 'POST', '/api/auth/login', {
      body: { login: user.username, password: user.password },
      headers: { 'x-forwarded-for': '198.51.100.9', 'x-forwarded-proto': 'https' },
    });
    t.match(login.headers.getSetCookie().join('\n'), /Secure/, 'X-Forwarded-Proto from the trusted hop is believed');
  });
}

t.test('TRUST_PROXY takes a hop count or addresses, and refuses true', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const load = (v: string) => loadConfig({ DATA_DIR: dir, TRUST_PROXY: v }).trustProxy;
  t.equal(load('false'), false);
  t.equal(load('0'), false);
  t.equal(load('2'), 2);
  t.same(load('127.0.0.1, 10.0.0.0/8, ::1, loopback'), ['127.0.0.1', '10.0.0.0/8', '::1', 'loopback']);
  t.throws(() => load('true'), ConfigError);
  t.throws(() => load('10.0.0.0/33'), ConfigError);
  t.throws(() => load('nginx.local'), ConfigError);
  try {
    load('true');
  } catch (err) {
    t.match((err as Error).message, /TRUST_PROXY: .*number of proxies/);
  }
});
