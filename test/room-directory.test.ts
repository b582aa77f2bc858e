import t from 'tap';
import { api, newRoom, newUser, startApp } from './helpers/app.js';

interface Entry {
  id: string;
  name: string;
  joined: boolean;
}

// The room list no longer grows with every public room on the server: your rooms, then a page of the directory.
t.test('GET /api/rooms pages the public rooms; /api/rooms/directory continues', async (t) => {
  const app = await startApp();
  t.teardown(() => app.close());
  const [owner, visitor] = [await newUser(app.url), await newUser(app.url)];
  const names = ['dir-a', 'dir-b', 'dir-c', 'dir-d', 'dir-e'];
  for (const name of names) {
    await newRoom(app.url, owner, { name });
    await new Promise((resolve) => setTimeout(resolve, 3)); // distinct creation times, so "newest first" is one order
  }
  const mine = await newRoom(app.url, visitor, { name: 'visitors-own', kind: 'private' });

  const first = await api(app.url, 'GET', '/api/rooms?publicLimit=2', { token: visitor.token });
  t.equal(first.status, 200);
  const firstRooms = first.body.rooms as Entry[];
  t.same(
    firstRooms.filter((r) => r.joined).map((r) => r.id),
    [mine.id],
    'all of your rooms',
  );
  t.same(
    firstRooms.filter((r) => !r.joined).map((r) => r.name),
    ['dir-e', 'dir-d'],
    'then the newest public rooms',
  );
  t.type(first.body.publicCursor, 'string', 'with a cursor for more');

  const seen = firstRooms.filter((r) => !r.joined).map((r) => r.name);
  let cursor: string | null = first.body.publicCursor;
  while (cursor) {
    const page = await api(app.url, 'GET', `/api/rooms/directory?limit=2&cursor=${encodeURIComponent(cursor)}`, {
      token: visitor.token,
    });
    t.equal(page.status, 200);
    seen.push(...(page.body.rooms as Entry[]).map((r) => r.name));
    cursor = page.body.nextCursor;
  }
  t.same(seen, [...names].reverse(), 'every public room once, newest first');

  const all = await api(app.url, 'GET', '/api/rooms', { token: visitor.token });
  t.equal(all.body.publicCursor, null, 'the default page holds them all when there are few');
  t.equal((all.body.rooms as Entry[]).length, names.length + 1);

  const bad = await api(app.url, 'GET', '/api/rooms/directory?cursor=not-a-cursor', { token: visitor.token });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'VALIDATION_FAILED');
  t.match(bad.body.error.message, /cursor/);
  const tooMany = await api(app.url, 'GET', '/api/rooms?publicLimit=100000', { token: visitor.token });
  t.equal(tooMany.status, 400, 'a page has a bounded size');
  const anonymous = await api(app.url, 'GET', '/api/rooms/directory');
  t.equal(anonymous.status, 401);
});
