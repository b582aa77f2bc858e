import t from 'tap';
import type { Page } from 'playwright-core';
import { apiCall, apiUser, loginUi, newPage, screenshot, waitFor, withBrowser, type ApiUser } from './harness.js';

/**
 * The members panel follows joins, leaves, removals and role changes from the room's events, without reading the
 * list again: in a room of thousands that list is megabytes, and every open client used to read it on every join.
 */
const suite = withBrowser(t, { env: { PRESENCE_WINDOW_MS: '200', PRESENCE_GRACE_MS: '300' } });

const shown = (p: Page) =>
  p.locator('parley-members li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.username ?? ''));
const row = (p: Page, username: string) => p.locator(`parley-members li[data-username="${username}"]`);

t.test('joins, leaves, removals and roles reach the panel live, in the server order, with no list read', async (t) => {
  const url = suite.server.url;
  const olga = await apiUser(url, 'olga');
  const room = (
    await apiCall(url, 'POST', '/api/rooms', { token: olga.token, body: { name: 'Lobby', kind: 'public' } })
  ).body.room;
  const early = await apiUser(url, 'mia');
  await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: early.token });

  const o = await newPage(suite.browser);
  t.teardown(() => o.context.close());
  const listReads: string[] = [];
  o.page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname === `/api/rooms/${room.id}/members`) listReads.push(r.url());
  });
  await loginUi(o.page, url, olga.username, olga.password);
  await o.page.goto(`${url}/rooms/${room.id}`);
  await o.page.locator('[data-status="live"]').waitFor();
  await row(o.page, 'mia').waitFor();
  await waitFor('the first list read', () => listReads.length > 0);
  const readsAtStart = listReads.length;

  // Newcomers, in an order the list does not keep (it sorts by role, then username).
  const people: ApiUser[] = [];
  for (const name of ['zoe', 'bea', 'kim', 'abe']) people.push(await apiUser(url, name));
  for (const u of people) await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: u.token });
  const [zoe, bea, kim, abe] = people as [ApiUser, ApiUser, ApiUser, ApiUser];
  await apiCall(url, 'PATCH', `/api/rooms/${room.id}/members/${zoe.id}`, {
    token: olga.token,
    body: { role: 'admin' },
  });
  await apiCall(url, 'POST', `/api/rooms/${room.id}/leave`, { token: bea.token });
  await apiCall(url, 'DELETE', `/api/rooms/${room.id}/members/${kim.id}`, { token: olga.token });

  await waitFor('the panel to show the changes', async () => (await shown(o.page)).join() === 'olga,zoe,abe,mia');
  t.pass('joined, promoted, left and removed members are shown as they are now');
  t.equal(await row(o.page, 'zoe').locator('.role.admin').count(), 1, 'zoe carries the admin badge');
  t.equal(listReads.length, readsAtStart, 'the members list was not read again');

  // A newcomer shows offline, and goes online when a stream of theirs follows the room.
  await row(o.page, 'abe').locator('.dot[data-online="false"]').waitFor();
  const stream = await fetch(`${url}/api/rooms/${room.id}/events`, {
    headers: { authorization: `Bearer ${abe.token}` },
  });
  t.teardown(() => stream.body?.cancel());
  await row(o.page, 'abe').locator('.dot[data-online="true"]').waitFor();
  t.pass('abe goes online live');
  await screenshot(o.page, 'members-live');

  // Six joins in a row are one line that opens to name everyone; the role change, the leave and the removal follow.
  const lines = () =>
    o.page
      .locator('parley-room-view [data-testid="activity"] > summary, parley-room-view div[data-testid="activity"]')
      .evaluateAll((els) =>
        els.map((e) => {
          // The line's text without its time.
          const copy = e.cloneNode(true) as Element;
          copy.querySelector('time')?.remove();
          return (copy.textContent ?? '').trim();
        }),
      );
  t.same(
    await lines(),
    ['olga, mia, zoe and 3 others joined', 'zoe is now admin', 'bea left', 'olga removed kim'],
    'a run of joins is one line',
  );
  await o.page.locator('parley-room-view details[data-testid="activity"] > summary').click();
  t.same(
    await o.page.locator('parley-room-view details[data-testid="activity"] li').evaluateAll((els) =>
      els.map((e) => {
        // The line's text without its time.
        const copy = e.cloneNode(true) as Element;
        copy.querySelector('time')?.remove();
        return (copy.textContent ?? '').trim();
      }),
    ),
    ['olga joined', 'mia joined', 'zoe joined', 'bea joined', 'kim joined', 'abe joined'],
    'opened, it names everyone',
  );
  await screenshot(o.page, 'activity-run-open');

  // What the panel built from events is what the server says: the same people, in the same order.
  const built = await shown(o.page);
  await o.page.reload();
  await o.page.locator('[data-status="live"]').waitFor();
  await row(o.page, 'abe').waitFor();
  t.same(await shown(o.page), built, 'a fresh read of the list shows the same');
  await waitFor('the activity lines after the reload', async () => (await lines()).length === 4);
  t.equal((await lines())[0], 'olga, mia, zoe and 3 others joined', 'the run is one line after a reload too');
  t.same(o.problems, []);
});
