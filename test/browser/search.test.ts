import t from 'tap';
import { apiCall, apiUser, focusedLabel, loginUi, newPage, screenshot, waitFor, withBrowser } from './harness.js';

/**
 * Search from the header: "/" and Ctrl+K focus the box (but "/" typed into the composer is a slash), results come
 * grouped by room with the matches marked (as text: a message's markup stays text), and choosing one opens it.
 * Screenshots of the result list at desktop and phone sizes.
 */

const suite = withBrowser(t);

t.test('search, see results grouped by room with the match marked, and choose one', async (t) => {
  const url = suite.server.url;
  const alice = await apiUser(url, 'alice_search');
  const bob = await apiUser(url, 'bob_search');
  const room = async (name: string) =>
    (await apiCall(url, 'POST', '/api/rooms', { token: alice.token, body: { name, kind: 'public' } })).body.room;
  const design = await room('design');
  const ops = await room('ops');
  await apiCall(url, 'POST', `/api/rooms/${design.id}/join`, { token: bob.token });
  const say = async (who: { token: string }, roomId: string, text: string) =>
    (await apiCall(url, 'POST', `/api/rooms/${roomId}/messages`, { token: who.token, body: { text } })).body.message;
  const plan = await say(alice, design.id, 'The <b>launch</b> plan: mockups by Friday, copy by Monday.');
  // Enough later talk that the plan is not on the room's first page: choosing it must load the history around it.
  for (let i = 0; i < 60; i++) await say(bob, design.id, `filler line ${i}`);
  await say(bob, design.id, 'Can we move the launch review to Thursday? The café is booked on Friday.');
  await say(alice, ops.id, 'Launch checklist: backups verified, rollback script tested, on-call rota published.');
  await say(bob, design.id, 'Unrelated: new icons are in the shared folder.');
  await say(alice, ops.id, 'Disk alerts are quiet again after the cleanup.');

  const { page, problems } = await newPage(suite.browser);
  await loginUi(page, url, alice.username, alice.password);
  await page.goto(`${url}/rooms/${ops.id}`);
  await page.getByLabel(/^Message /).waitFor();

  // "/" typed into the composer is a slash; Ctrl+K from there focuses the search box.
  const composer = page.getByLabel(/^Message /);
  await composer.focus();
  await page.keyboard.type('a/b');
  t.equal(await composer.inputValue(), 'a/b', '"/" in a field is typed, not a shortcut');
  await page.keyboard.press('Control+k');
  t.equal(await focusedLabel(page), 'Search messages', 'Ctrl+K focuses search');
  await page.keyboard.press('Escape');
  await composer.fill('');
  await page.locator('parley-room-view').click({ position: { x: 10, y: 10 } });
  await page.keyboard.press('/');
  t.equal(await focusedLabel(page), 'Search messages', '"/" outside fields focuses search');

  await page.keyboard.type('launch');
  const results = page.locator('parley-search .panel');
  const groups = results.locator('section');
  await waitFor('results in two rooms', async () => (await groups.count()) === 2);
  t.same(await groups.locator('h3').allTextContents(), ['ops', 'design'], 'grouped by room, newest first');
  t.same(
    await groups.nth(1).locator('mark').allTextContents(),
    ['launch', 'launch'],
    'the matches are marked in each snippet',
  );
  const first = groups.nth(1).locator('button.hit').last();
  t.match(await first.textContent(), /The <b>launch<\/b> plan/, "a message's markup is shown as text");
  t.equal(await results.locator('b').count(), 0, 'no markup from a message is rendered');
  t.match(await groups.nth(0).locator('.meta strong').first().textContent(), alice.username, 'with the author');
  await screenshot(page, 'search-results-1280x800');

  // Choosing the oldest one lands on it: the room opens at the message, highlighted, far from the live end.
  await first.click();
  await page.waitForURL(`**/rooms/${design.id}/${plan.seq}`);
  await page.locator('[data-testid="room-title"]', { hasText: 'design' }).waitFor();
  const landed = page.locator('parley-room-view [data-testid="message"][data-highlight="true"]', {
    hasText: 'mockups by Friday',
  });
  await landed.waitFor();
  t.ok(await landed.isVisible(), 'the chosen message is shown and highlighted');
  t.equal(await results.count(), 0, 'the results close once one is chosen');
  await screenshot(page, 'search-jumped-1280x800');

  // Diacritics: "cafe" finds "café"; arrows and Enter choose.
  await page.keyboard.press('Control+k');
  await page.getByRole('searchbox', { name: 'Search messages' }).fill('cafe');
  await waitFor('the café message', async () => (await results.locator('mark').allTextContents()).join() === 'café');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/rooms/${design.id}/\\d+$`));
  await page
    .locator('parley-room-view [data-testid="message"][data-highlight="true"]', { hasText: 'The café is booked' })
    .waitFor();
  t.pass('arrows and Enter open the message');
  t.same(problems, [], 'no page errors');

  // A phone: the header has a search button that opens the box over it.
  const phone = await newPage(suite.browser, { width: 390, height: 844 });
  await loginUi(phone.page, url, alice.username, alice.password);
  // Once, on CI's loaded machine, a click right after sign-in did not leave the box open (it never showed in 20 s; the
  // cause was not found, parley-search is not redrawn on routing): click until it is open.
  const searchbox = phone.page.getByRole('searchbox', { name: 'Search messages' });
  await waitFor('the search box open on the phone', async () => {
    if (!(await searchbox.isVisible())) await phone.page.getByRole('button', { name: 'Open search' }).click();
    return searchbox.isVisible();
  });
  await searchbox.pressSequentially('launch');
  await waitFor('phone results', async () => (await phone.page.locator('parley-search section').count()) === 2);
  await screenshot(phone.page, 'search-results-390x844');
  t.same(phone.problems, [], 'no page errors on the phone');
  await phone.context.close();
  await page.context().close();
});
