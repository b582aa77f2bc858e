import path from 'node:path';
import t from 'tap';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { RoomEvent } from '../../server/store/store.js';
import { newRoom, newUser, post, startApp, stream, tempDir } from '../helpers/app.js';

/**
 * Invariant 2 when the feed does not deliver in seq order (as a change stream merged from several writers might):
 * the feed here swaps every pair of events and delays some, and subscribers must still get 1, 2, 3 ... once each.
 */
t.test('events arriving out of order from the feed still reach subscribers in seq order, once', async (t) => {
  const dataDir = tempDir();
  const store = new SqliteStore({ file: path.join(dataDir, 'parley.db'), synchronous: 'NORMAL' });
  const publish = store.feed.publish.bind(store.feed);
  let held: RoomEvent | null = null;
  let n = 0;
  store.feed.publish = (event: RoomEvent) => {
    n++;
    if (n % 5 === 0) {
      // Late: arrives well after its successors.
      setTimeout(() => publish(event), 50);
    } else if (!held) {
      held = event;
    } else {
      publish(event);
      publish(held);
      held = null;
    }
  };
  const srv = await startApp({ store, dataDir });
  t.teardown(async () => {
    await srv.close();
    await store.close();
  });
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);
  const streams = await Promise.all(
    [0, 1, 2].map(() => stream(srv.url, `/api/rooms/${room.id}/events`, { token: u.token, lastEventId: '1' })),
  );
  t.teardown(() => streams.forEach((s) => s.close()));
  for (let i = 0; i < 40; i++) await post(srv.url, u, room.id, `m${i}`);
  // Flush a possibly held last event: one more post releases it.
  await post(srv.url, u, room.id, 'last');
  const expected = Array.from({ length: 41 }, (_, i) => String(i + 2));
  for (const s of streams) {
    await s.waitFor((ev) => ev.length >= 41, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    t.same(
      s.events.map((e) => e.id),
      expected,
      'in seq order, no duplicates, no gaps',
    );
  }
});
