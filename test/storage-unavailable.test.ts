import type Database from 'better-sqlite3';
import t from 'tap';
import { api, newRoom, newUser, startApp } from './helpers/app.js';

// A full disk is a condition to wait out, not a bug: writes answer 503 STORAGE_UNAVAILABLE (clients retry), reads
// keep working, and an API token whose use is due to be recorded still authenticates.
t.test('a full disk: writes get 503 STORAGE_UNAVAILABLE, reads and API tokens keep working', async (t) => {
  const app = await startApp();
  t.teardown(() => app.close());
  const alice = await newUser(app.url);
  const room = await newRoom(app.url, alice);
  const created = await api(app.url, 'POST', '/api/tokens', { token: alice.token, body: { name: 'bot' } });
  t.equal(created.status, 201);
  const bot = created.body.token as string;

  // The real database, told it may not grow: every write that needs a page fails with SQLITE_FULL, as on a full disk.
  const db = (app.store as unknown as { db: Database.Database }).db;
  db.prepare('UPDATE api_tokens SET last_used_at = NULL').run(); // its next use is due to be recorded
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);

  const write = await api(app.url, 'POST', `/api/rooms/${room.id}/messages`, {
    token: alice.token,
    body: { text: 'x'.repeat(3900) },
  });
  t.equal(write.status, 503, 'a write is refused as unavailable');
  t.equal(write.body.error.code, 'STORAGE_UNAVAILABLE');
  t.ok(Number(write.headers.get('retry-after')) > 0, 'with Retry-After');

  const read = await api(app.url, 'GET', `/api/rooms/${room.id}`, { token: bot });
  t.equal(read.status, 200, 'an API token still authenticates a read although its use cannot be recorded');
  const history = await api(app.url, 'GET', `/api/rooms/${room.id}/messages`, { token: alice.token });
  t.equal(history.status, 200, 'reads work');

  db.pragma('max_page_count = 1073741823');
  const later = await api(app.url, 'POST', `/api/rooms/${room.id}/messages`, { token: bot, body: { text: 'back' } });
  t.equal(later.status, 201, 'writes work again once there is room');
});
