import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { api, post, twoInARoom } from '../helpers/app.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

t.test('parley-tail prints reactions and pins as readable lines', async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const m = await post(srv.url, b, room.id, 'a fine idea');
  await api(srv.url, 'PUT', `/api/rooms/${room.id}/messages/${m.seq}/reactions/${encodeURIComponent('👍')}`, {
    token: a.token,
  });
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${m.seq}/reactions/${encodeURIComponent('👍')}`, {
    token: a.token,
  });
  await api(srv.url, 'PUT', `/api/rooms/${room.id}/pins/${m.seq}`, { token: a.token });
  await api(srv.url, 'DELETE', `/api/rooms/${room.id}/pins/${m.seq}`, { token: a.token });
  const tail = spawn('bash', [path.join(ROOT, 'scripts/parley-tail'), room.id, '0'], {
    env: { ...process.env, PARLEY_TOKEN: a.token, PARLEY_URL: srv.url },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    try {
      process.kill(-tail.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  });
  let out = '';
  tail.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  tail.stderr.resume();
  for (let i = 0; !out.includes('unpinned'); i++) {
    if (i > 1000) throw new Error(`parley-tail printed only:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const who = a.username;
  t.match(out, `${m.seq + 1} ${who} reacted 👍 to #${m.seq}\n`);
  t.match(out, `${m.seq + 2} ${who} took back 👍 on #${m.seq}\n`);
  t.match(out, `${m.seq + 3} ${who} pinned #${m.seq}: a fine idea\n`);
  t.match(out, `${m.seq + 4} ${who} unpinned #${m.seq}\n`);
});
