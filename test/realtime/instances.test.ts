import { randomBytes } from 'node:crypto';
import path from 'node:path';
import t from 'tap';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { join, newRoom, newUser, startApp, tempDir } from '../helpers/app.js';
import { ephemeralsCrossInstances, loginLimitCrossInstances } from '../helpers/instances.js';

/**
 * Two app instances (two hubs) on one store: the hub keeps no ephemeral state of its own that the store's signal bus
 * and presence board should hold, so presence, typing and receipts caused on one instance reach the other; and the
 * login limit is one budget (the store's failure counts). On
 * MongoDB the same scenario runs across real connections (test/mongo/multi-instance.test.ts).
 */
t.test('two instances on one store share presence, typing, receipts and the login limit', async (t) => {
  const dir = tempDir();
  const store = new SqliteStore({ file: path.join(dir, 'parley.db'), synchronous: 'NORMAL' });
  const env = {
    JWT_SECRET: randomBytes(32).toString('base64url'),
    PRESENCE_GRACE_MS: '200',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
  };
  const a = await startApp({ store, env });
  const b = await startApp({ store, env });
  t.teardown(async () => {
    await a.close();
    await b.close();
    await store.close();
  });
  const alice = await newUser(a.url);
  const bob = await newUser(b.url);
  const room = await newRoom(a.url, alice);
  await join(b.url, bob, room.id);
  const onA = await ephemeralsCrossInstances(t, a, b, room.id, alice, bob);
  onA.close();
  await loginLimitCrossInstances(t, a, b, bob);
});
