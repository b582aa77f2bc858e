import t from 'tap';
import { api, post, twoInARoom } from '../helpers/app.js';
import { startTail } from '../helpers/process.js';

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
  const tail = startTail(t, [room.id, '0'], srv.url, a.token);
  for (let i = 0; !tail.output().includes('unpinned'); i++) {
    if (i > 1000) throw new Error(`parley-tail printed only:\n${tail.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const who = a.username;
  t.match(tail.output(), `${m.seq + 1} ${who} reacted 👍 to #${m.seq}\n`);
  t.match(tail.output(), `${m.seq + 2} ${who} took back 👍 on #${m.seq}\n`);
  t.match(tail.output(), `${m.seq + 3} ${who} pinned #${m.seq}: a fine idea\n`);
  t.match(tail.output(), `${m.seq + 4} ${who} unpinned #${m.seq}\n`);
});
