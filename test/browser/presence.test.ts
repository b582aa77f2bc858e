import t from 'tap';
import type { Page } from 'playwright-core';
import { SseStream } from '../helpers/sse.js';
import { apiCall, apiUser, loginUi, newPage, screenshot, withBrowser, type ApiUser } from './harness.js';

/**
 * Presence in the members panel: the online dot and "N online" follow the room live, in a small room (every change
 * comes to everyone) and in a big one (over PRESENCE_FULL_LIMIT, lowered here: the server sends the count plus the
 * people the panel asks about, which are the rows it shows).
 */
const suite = withBrowser(t, {
  env: {
    PRESENCE_WINDOW_MS: '200',
    PRESENCE_GRACE_MS: '300',
    PRESENCE_FULL_LIMIT: '20',
    REGISTER_MAX_PER_IP: '10000',
  },
});

const dot = (p: Page, username: string, online: boolean) =>
  p.locator(`parley-members li[data-username="${username}"] .dot[data-online="${online}"]`);
const count = (p: Page, n: number) =>
  p.locator('parley-members [data-testid="online-count"]', { hasText: new RegExp(`^${n} online$`) });

/** A stream of the user following the room, as another device of theirs would hold. */
async function online(user: ApiUser, roomId: string): Promise<SseStream> {
  const s = new SseStream(`${suite.server.url}/api/rooms/${roomId}/events`, { token: user.token });
  await s.opened;
  return s;
}

t.test('a small room: the dot and "N online" change live', async (t) => {
  const url = suite.server.url;
  const carl = await apiUser(url, 'carl');
  const dana = await apiUser(url, 'dana');
  const room = (
    await apiCall(url, 'POST', '/api/rooms', { token: carl.token, body: { name: 'Small', kind: 'public' } })
  ).body.room;
  await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: dana.token });
  const c = await newPage(suite.browser);
  t.teardown(() => c.context.close());
  await loginUi(c.page, url, carl.username, carl.password);
  await c.page.goto(`${url}/rooms/${room.id}`);
  await c.page.locator('[data-status="live"]').waitFor();
  await dot(c.page, 'dana', false).waitFor();
  await count(c.page, 1).waitFor();

  const danas = await online(dana, room.id);
  t.teardown(() => danas.close());
  await dot(c.page, 'dana', true).waitFor();
  await count(c.page, 2).waitFor();
  t.pass('dana connects: her dot goes on and the head says 2 online');
  danas.close();
  await dot(c.page, 'dana', false).waitFor();
  await count(c.page, 1).waitFor();
  t.pass('she leaves: off again, 1 online');
  t.same(c.problems, []);
});

t.test('a big room: the panel watches the rows it shows, and their dots follow live', async (t) => {
  const url = suite.server.url;
  const owner = await apiUser(url, 'olga');
  const room = (
    await apiCall(url, 'POST', '/api/rooms', { token: owner.token, body: { name: 'Town square', kind: 'public' } })
  ).body.room;
  const people: ApiUser[] = [];
  for (let i = 0; i < 300; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, 300 - i) }, (_, j) => apiUser(url, `p${String(i + j).padStart(3, '0')}`)),
    );
    for (const u of batch) await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: u.token });
    people.push(...batch);
  }
  // Every third of the first 90 online (30 people: over the limit of 20), plus the owner.
  const streams = await Promise.all(
    people
      .slice(0, 90)
      .filter((_, i) => i % 3 === 0)
      .map((u) => online(u, room.id)),
  );
  t.teardown(() => streams.forEach((s) => s.close()));

  const o = await newPage(suite.browser);
  t.teardown(() => o.context.close());
  const watched = o.page.waitForRequest((r) => r.method() === 'PUT' && r.url().endsWith('/presence/watch'));
  await loginUi(o.page, url, owner.username, owner.password);
  await o.page.goto(`${url}/rooms/${room.id}`);
  await o.page.locator('[data-status="live"]').waitFor();
  await count(o.page, 31).waitFor();
  const body = JSON.parse((await watched).postData() ?? '{}') as { userIds: string[] };
  t.ok(
    body.userIds.length > 0 && body.userIds.length < 100,
    `the panel asks about the rows it shows (${body.userIds.length})`,
  );
  t.ok(body.userIds.includes(people[0]!.id), 'the first row among them');
  t.notOk(body.userIds.includes(people[299]!.id), 'not a row far below');
  await dot(o.page, people[0]!.username, true).waitFor();
  await dot(o.page, people[1]!.username, false).waitFor();
  await screenshot(o.page, 'presence-big-room-1280x800');

  // A watched person leaves and another comes: their dots change, and the count follows.
  streams[0]!.close();
  const p1 = await online(people[1]!, room.id);
  t.teardown(() => p1.close());
  await dot(o.page, people[0]!.username, false).waitFor();
  await dot(o.page, people[1]!.username, true).waitFor();
  t.pass('dots of watched rows change live in a big room');
  // Someone far below the visible rows leaves: only the count changes.
  streams.at(-1)!.close();
  await count(o.page, 30).waitFor();
  t.pass('the count follows changes of people nobody watches');

  // Scrolled to the bottom: the rows shown there are asked about.
  const again = o.page.waitForRequest(
    (r) => r.method() === 'PUT' && r.url().endsWith('/presence/watch') && r.postData()!.includes(people[299]!.id),
  );
  await o.page.locator(`parley-members li[data-username="${people[299]!.username}"]`).scrollIntoViewIfNeeded();
  await again;
  const p299 = await online(people[299]!, room.id);
  t.teardown(() => p299.close());
  await dot(o.page, people[299]!.username, true).waitFor();
  await count(o.page, 31).waitFor();
  t.pass('after scrolling, the newly shown rows are watched');

  const phone = await newPage(suite.browser, { width: 390, height: 844 });
  t.teardown(() => phone.context.close());
  await loginUi(phone.page, url, people[1]!.username, people[1]!.password);
  await phone.page.goto(`${url}/rooms/${room.id}`);
  await phone.page.locator('[data-status="live"]').waitFor();
  await phone.page
    .getByRole('button', { name: /members/i })
    .first()
    .click();
  await count(phone.page, 31).waitFor();
  await screenshot(phone.page, 'presence-big-room-390x844');
  t.same(o.problems, []);
  t.same(phone.problems, []);
});
