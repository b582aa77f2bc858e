import t from 'tap';
import {
  apiCall,
  apiUser,
  loginUi,
  newPage,
  screenshot,
  shownMessages,
  shownTexts,
  waitFor,
  withBrowser,
} from './harness.js';

/** Rooms: private rooms, settings for owners (rename, topic, add/remove members, delete), unread counts, leaving. */

const suite = withBrowser(t);

t.test('owner manages a private room; the member follows live', async (t) => {
  const erin = await apiUser(suite.server.url, 'erin');
  const frank = await apiUser(suite.server.url, 'frank');
  const lobby = (
    await apiCall(suite.server.url, 'POST', '/api/rooms', {
      token: frank.token,
      body: { name: 'Lobby', kind: 'public' },
    })
  ).body.room;
  await apiCall(suite.server.url, 'POST', `/api/rooms/${lobby.id}/join`, { token: erin.token });

  const e = await newPage(suite.browser);
  const f = await newPage(suite.browser);
  await loginUi(e.page, suite.server.url, erin.username, erin.password);
  await loginUi(f.page, suite.server.url, frank.username, frank.password);
  await f.page.goto(`${suite.server.url}/rooms/${lobby.id}`);
  await f.page.locator('[data-status="live"]').waitFor();

  // Erin creates a private room and adds Frank from the settings dialog.
  await e.page.getByRole('button', { name: 'New room' }).click();
  const create = e.page.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Name').fill('Secret plans');
  await create.getByRole('radio', { name: /Private/ }).check();
  await create.getByRole('button', { name: 'Create room' }).click();
  await e.page.waitForURL((url) => /^\/rooms\/[\w-]+$/.test(url.pathname) && !url.pathname.endsWith(lobby.id));
  const roomId = e.page.url().split('/').pop()!;
  t.not(roomId, lobby.id);

  await e.page.getByRole('button', { name: 'Room settings' }).click();
  const settings = e.page.getByRole('dialog', { name: 'Room settings' });
  await settings.getByLabel('Username to add').fill('nobody-here');
  await settings.getByRole('button', { name: 'Add', exact: true }).click();
  await settings.getByText(/No user named/).waitFor();
  t.pass('an unknown username is explained');
  await settings.getByLabel('Username to add').fill('frank');
  await settings.getByRole('button', { name: 'Add', exact: true }).click();
  await settings.locator('li', { hasText: '@frank' }).waitFor();

  // Frank's room list gains the room live (he is in Lobby), with unread counts as Erin posts.
  const frankSecret = f.page.locator(`parley-rooms a[data-room-id="${roomId}"]`);
  await frankSecret.waitFor();
  t.pass('the private room appears for the added member without a reload');

  await settings.getByLabel('Name', { exact: true }).fill('Secret plans v2');
  await settings.getByLabel('Topic').fill('Do not tell anyone');
  await settings.getByRole('button', { name: 'Save changes' }).click();
  await e.page.locator('[data-testid="room-title"]', { hasText: 'Secret plans v2' }).waitFor();
  await screenshot(e.page, 'room-settings-1280x800');
  await settings.getByRole('button', { name: 'Close' }).click();

  const box = e.page.getByLabel(/^Message Secret plans v2/);
  for (const text of ['one', 'two', 'three']) {
    await box.fill(text);
    await box.press('Enter');
  }
  await waitFor(
    'unread badge of 3',
    async () =>
      (await frankSecret
        .locator('[data-testid="unread"]')
        .textContent()
        .catch(() => '')) === '3',
  );
  await waitFor('renamed in the list of frank', async () =>
    /Secret plans v2/.test((await frankSecret.textContent()) ?? ''),
  );
  await waitFor('unread count in the tab title', async () => /^\(3\)/.test(await f.page.title()));
  t.pass('the tab title counts unread messages');

  // Opening the room clears the count and shows the history and the activity of this session.
  await frankSecret.click();
  await f.page.waitForURL(`**/rooms/${roomId}`);
  await waitFor('history', async () => (await shownTexts(f.page)).join('|') === 'one|two|three');
  t.equal(await frankSecret.locator('[data-testid="unread"]').count(), 0, 'unread cleared on open');
  await waitFor('title without unread count', async () => !/^\(/.test(await f.page.title()));

  // Activity lines for changes Erin makes while Frank watches.
  await e.page.getByRole('button', { name: 'Room settings' }).click();
  await settings.getByLabel('Topic').fill('New topic');
  await settings.getByRole('button', { name: 'Save changes' }).click();
  await f.page.locator('[data-testid="activity"]', { hasText: 'set the topic to “New topic”' }).waitFor();

  // Owners cannot leave (they delete or hand over); members can.
  t.equal(await e.page.getByRole('button', { name: 'Leave room' }).count(), 0, 'no leave button for the owner');
  t.equal(await f.page.getByRole('button', { name: 'Room settings' }).count(), 0, 'no settings for a plain member');

  // Remove Frank: his view of the room goes away.
  await settings
    .locator('li', { hasText: '@frank' })
    .getByRole('button', { name: /^Remove/ })
    .click();
  await e.page.getByTestId('confirm').click();
  await waitFor('frank loses the room', async () => (await frankSecret.count()) === 0);
  await f.page.waitForURL((url) => !url.pathname.endsWith(roomId));
  t.pass('a removed member loses the room live');

  // Delete the room.
  await settings.getByRole('button', { name: 'Delete room' }).click();
  await e.page.getByTestId('confirm').click();
  await waitFor(
    'room gone for erin',
    async () => (await e.page.locator(`parley-rooms a[data-room-id="${roomId}"]`).count()) === 0,
  );
  t.pass('the owner deletes the room');

  // Frank leaves the lobby.
  await f.page.goto(`${suite.server.url}/rooms/${lobby.id}`);
  await f.page.locator('[data-status="live"]').waitFor();
  // Frank owns the lobby, so Erin leaves it instead.
  await e.page.goto(`${suite.server.url}/rooms/${lobby.id}`);
  await e.page.getByRole('button', { name: 'Leave room' }).click();
  await e.page.getByTestId('confirm').click();
  await f.page.locator('[data-testid="activity"]', { hasText: 'erin left' }).waitFor();
  await waitFor(
    'lobby back among public rooms for erin',
    async () => (await e.page.getByRole('button', { name: 'Join Lobby' }).count()) === 1,
  );
  t.pass('leaving shows an activity line and the room becomes joinable again');

  t.same(e.problems, []);
  t.same(f.problems, []);
  await e.context.close();
  await f.context.close();
});

t.test('history loads in pages when scrolling up', async (t) => {
  const gina = await apiUser(suite.server.url, 'gina');
  const room = (
    await apiCall(suite.server.url, 'POST', '/api/rooms', {
      token: gina.token,
      body: { name: 'Archive', kind: 'private' },
    })
  ).body.room;
  const texts = Array.from({ length: 130 }, (_, i) => `archived message ${i + 1}`);
  for (const text of texts)
    await apiCall(suite.server.url, 'POST', `/api/rooms/${room.id}/messages`, { token: gina.token, body: { text } });

  const { page, context, problems } = await newPage(suite.browser, { width: 390, height: 844 });
  await loginUi(page, suite.server.url, gina.username, gina.password);
  await page.goto(`${suite.server.url}/rooms/${room.id}`);
  await waitFor('the newest page', async () => (await shownTexts(page)).includes('archived message 130'));
  const first = await shownTexts(page);
  t.ok(first.length < texts.length, `starts with one page (${first.length} messages)`);
  const timeline = page.locator('parley-room-view [data-testid="timeline"]');
  t.ok(
    await timeline.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 80),
    'opens scrolled to the newest message',
  );

  await waitFor(
    'the beginning of the room',
    async () => {
      await timeline.evaluate((el) => el.scrollTo({ top: 0 }));
      return (await page.locator('parley-room-view .older', { hasText: 'This is the beginning' }).count()) === 1;
    },
    30_000,
  );
  const shown = await shownMessages(page);
  t.same(
    shown.map((m) => m.text),
    texts,
    'every message once, in order, after paging back',
  );
  t.same(problems, []);
  await context.close();
});

t.test('a post whose answer is lost is shown once: recognised on the stream, or retried safely', async (t) => {
  const flaky = await apiUser(suite.server.url, 'flaky');
  const room = (
    await apiCall(suite.server.url, 'POST', '/api/rooms', { token: flaky.token, body: { name: 'Flaky network' } })
  ).body.room;
  const g = await newPage(suite.browser);
  t.teardown(() => g.context.close());
  const page = g.page;
  const stored = async (text: string) =>
    (
      await apiCall(suite.server.url, 'GET', `/api/rooms/${room.id}/messages?limit=100`, { token: flaky.token })
    ).body.messages.filter((m: { text: string }) => m.text === text).length;
  const typeAndSend = async (text: string) => {
    const box = page.getByLabel(/^Message /);
    await box.fill(text);
    await box.press('Enter');
  };
  /** The server stores the post, but the browser never gets the answer. */
  const loseAnswers = () =>
    page.route('**/api/rooms/*/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await route.fetch();
      await route.abort('connectionreset');
    });

  await loginUi(page, suite.server.url, flaky.username, flaky.password);
  await page.goto(`${suite.server.url}/rooms/${room.id}`);
  await page.locator('[data-status="live"]').waitFor();

  // 1. The stream is up: its copy of the message (same client key) replaces the pending one, whatever the POST says.
  await loseAnswers();
  await typeAndSend('answer lost, stream fine');
  await waitFor('the message shown as sent', async () => {
    const shown = (await shownMessages(page)).filter((m) => m.text === 'answer lost, stream fine');
    return shown.length === 1 && shown[0]!.seq !== null;
  });
  await page.waitForTimeout(500); // the failed POST has surely reported by now
  const shown = (await shownMessages(page)).filter((m) => m.text === 'answer lost, stream fine');
  t.equal(shown.length, 1, 'shown once');
  t.ok(
    shown[0]!.seq !== null && shown[0]!.status !== 'failed' && shown[0]!.status !== 'pending',
    `as stored (status ${shown[0]!.status})`,
  );
  t.equal(await page.getByText('Not sent').count(), 0, 'no "Not sent" left behind');
  t.equal(await stored('answer lost, stream fine'), 1, 'stored once');

  // 2. No stream (blocked), so only the POST can tell: it fails, the user retries, and the retry (same key) answers
  // with the message already stored instead of storing it again.
  await page.route('**/api/events*', (route) => route.abort('connectionrefused'));
  await page.reload();
  await page.locator('[data-status="live"]').waitFor({ state: 'detached' });
  await typeAndSend('answer lost, no stream');
  await page.getByText(/^Not sent/).waitFor();
  t.equal(await stored('answer lost, no stream'), 1, 'the server has it although the page says not sent');
  await page.unroute('**/api/rooms/*/messages');
  await page.getByRole('button', { name: 'Retry' }).click();
  await waitFor('the retried message shown as sent', async () => {
    const shown = (await shownMessages(page)).filter((m) => m.text === 'answer lost, no stream');
    return shown.length === 1 && shown[0]!.seq !== null;
  });
  t.equal(await stored('answer lost, no stream'), 1, 'the retry stored nothing new');
  await page.unroute('**/api/events*');
  await page.locator('[data-status="live"]').waitFor();
  await page.waitForTimeout(300);
  t.same(
    (await shownTexts(page)).filter((x) => x.startsWith('answer lost')),
    ['answer lost, stream fine', 'answer lost, no stream'],
    'after the stream is back, each is shown once',
  );
});
