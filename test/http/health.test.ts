import t from 'tap';
import { api, newRoom, newUser, startApp, stream } from '../helpers/app.js';

t.test('/api/health says whether the server works, not how busy it is', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);
  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: u.token });
  t.teardown(() => s.close());
  const health = await api(srv.url, 'GET', '/api/health');
  t.equal(health.status, 200);
  t.same(health.body, { status: 'ok', store: 'sqlite', feed: 'live' }, 'status, store and feed; no stream count');
});
