import t from 'tap';
import { strengthWorkerRunning } from '../../server/auth/passwords.js';
import { api, serve } from '../helpers/app.js';

// zxcvbn's worker loads dictionaries (half a second of CPU) and later compacts their heap (50-59 ms): started with the
// server, that competed with a restart's reconnect storm on a one-core machine. It starts with the first check.
t.test('the password strength worker starts with the first password check, not with the server', async (t) => {
  const srv = await serve(t);
  const health = await api(srv.url, 'GET', '/api/health');
  t.equal(health.status, 200, 'the server is up');
  t.equal(strengthWorkerRunning(), false, 'no worker yet');
  const weak = await api<{ error: { code: string } }>(srv.url, 'POST', '/api/auth/register', {
    body: { username: 'starter', email: 'starter@example.com', password: 'password123' },
  });
  t.equal(weak.body.error.code, 'WEAK_PASSWORD', 'the first check is answered');
  t.equal(strengthWorkerRunning(), true, 'by the worker it started');
  const strong = await api(srv.url, 'POST', '/api/auth/register', {
    body: { username: 'starter', email: 'starter@example.com', password: 'a long passphrase nobody guesses 7' },
  });
  t.equal(strong.status, 201, 'and the next by the same worker');
});
