import t from 'tap';
import type { BrowserContext, Page } from 'playwright-core';
import { apiCall, apiUser, loginUi, newPage, screenshot, waitFor, withBrowser, type ApiUser } from './harness.js';

/**
 * Mentions in the real client: the composer's @ autocomplete (filtered, keyboard navigable), highlighted mentions
 * (mine stand out), the room list's mention badge, the notification level menu, and desktop notifications: one per
 * message however many tabs are open, none for my own posts. Screenshots at desktop and phone sizes.
 */

const suite = withBrowser(t);
const SHOTS = '/work/helpers/shots';

async function room(owner: ApiUser, name: string, members: ApiUser[]): Promise<string> {
  const url = suite.server.url;
  const { body } = await apiCall(url, 'POST', '/api/rooms', { token: owner.token, body: { name } });
  for (const m of members) await apiCall(url, 'POST', `/api/rooms/${body.room.id}/join`, { token: m.token });
  return body.room.id as string;
}

const say = (user: ApiUser, roomId: string, text: string) =>
  apiCall(suite.server.url, 'POST', `/api/rooms/${roomId}/messages`, { token: user.token, body: { text } });

async function openRoom(page: Page, roomId: string): Promise<void> {
  await page.locator(`parley-rooms a.room[data-room-id="${roomId}"]`).click();
  await waitFor('the room open', async () => page.evaluate(`location.pathname === '/rooms/${roomId}'`).then(Boolean));
  await page.locator(`parley-room-view`).waitFor();
}

/** Records every desktop notification the page makes, while the real Notification still shows it. */
const RECORD_NOTIFICATIONS = `(() => {
  window.__notes = [];
  const Real = window.Notification;
  if (!Real) return;
  class Recording extends Real {
    constructor(title, options) {
      window.__notes.push({ title, body: options && options.body, tag: options && options.tag });
      super(title, options);
      (window.__shown = window.__shown || []).push(this);
    }
  }
  window.Notification = Recording;
})()`;

const notes = (page: Page) =>
  page.evaluate('window.__notes') as Promise<Array<{ title: string; body: string; tag: string }>>;

t.test('typing @ offers the members; a mention of me stands out; the room list shows a mention badge', async (t) => {
  const url = suite.server.url;
  const [alice, bob, carol] = [await apiUser(url, 'alice'), await apiUser(url, 'bobby'), await apiUser(url, 'carol')];
  const team = await room(alice, 'team', [bob, carol]);
  const other = await room(alice, 'other', [bob]);

  for (const [viewport, size] of [
    [{ width: 1280, height: 800 }, 'desktop'],
    [{ width: 390, height: 844 }, 'phone'],
  ] as const) {
    const a = await newPage(suite.browser, viewport);
    t.teardown(() => a.context.close());
    await loginUi(a.page, url, 'alice', alice.password);
    await a.page.goto(`${url}/rooms/${team}`);
    await a.page.getByTestId('room-title').filter({ hasText: 'team' }).waitFor();
    const box = a.page.getByLabel(/^Message /);
    await box.pressSequentially('thanks @b', { delay: 0 });
    const picker = a.page.locator('[data-testid="mention-picker"]');
    await picker.waitFor();
    t.same(await picker.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['bobby']);
    await screenshot(a.page, `mentions-autocomplete-${size}`);
    await a.page.screenshot({ path: `${SHOTS}/mentions-autocomplete-${size}.png` });
    if (size === 'phone') {
      await box.press('Escape');
      continue;
    }
    // Filtering as you type, arrows, Esc closes, Enter chooses.
    await box.press('Backspace');
    await waitFor('every member offered', async () => (await picker.locator('li').count()) === 4);
    t.same(
      await picker.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))),
      ['bobby', 'carol', 'here', 'room'],
      'other members first (not me), then @here and @room',
    );
    await box.press('ArrowDown');
    t.equal(await picker.locator('li[aria-selected="true"]').getAttribute('data-name'), 'carol', 'arrow down');
    await box.press('ArrowUp');
    await box.press('ArrowUp');
    t.equal(await picker.locator('li[aria-selected="true"]').getAttribute('data-name'), 'room', 'wraps around');
    await box.press('Escape');
    await waitFor('picker closed', async () => (await picker.count()) === 0);
    await box.pressSequentially('b', { delay: 0 });
    t.equal(await picker.count(), 0, 'stays closed for the @ it was closed at');
    await box.press('Backspace');
    await box.press('Backspace');
    await box.pressSequentially('@b', { delay: 0 });
    await picker.waitFor();
    await box.press('Tab');
    t.equal(await box.inputValue(), 'thanks @bobby ', 'Tab chooses');
    await box.pressSequentially('and @CA', { delay: 0 });
    await box.press('Enter');
    t.equal(await box.inputValue(), 'thanks @bobby and @carol ', 'Enter chooses without sending');
    await box.pressSequentially('please review', { delay: 0 });
    await box.press('Enter');
    await waitFor('sent', async () => (await box.inputValue()) === '');
  }

  const history = await apiCall(url, 'GET', `/api/rooms/${team}/messages`, { token: bob.token });
  const sent = history.body.messages[0];
  t.same([...sent.mentions].sort(), [bob.id, carol.id].sort(), 'the server resolved both mentions');

  // Bob, looking at another room, sees the mention badge on team; opening it shows the mention of him marked.
  await say(alice, team, 'no mention here');
  for (const [viewport, size] of [
    [{ width: 1280, height: 800 }, 'desktop'],
    [{ width: 390, height: 844 }, 'phone'],
  ] as const) {
    if (size === 'phone') {
      // Bob read the room at desktop size: a new mention and a new message.
      await say(alice, team, '@bobby one more thing');
      await say(alice, team, 'and some chatter');
    }
    const b = await newPage(suite.browser, viewport);
    t.teardown(() => b.context.close());
    await b.page.goto(`${url}/rooms/${other}`);
    await b.page.waitForURL('**/login');
    await loginUi(b.page, url, 'bobby', bob.password);
    await b.page.goto(`${url}/rooms/${other}`);
    await b.page.locator('parley-room-view').waitFor();
    if (size === 'phone') await b.page.getByRole('button', { name: /^Rooms/ }).click();
    const entry = b.page.locator(`parley-rooms a.room[data-room-id="${team}"]`);
    await entry
      .locator('[data-testid="mention-badge"]')
      .waitFor()
      .catch(async (err) => {
        await screenshot(b.page, `mentions-badge-missing-${size}`);
        throw err;
      });
    t.equal(await entry.locator('[data-testid="mention-badge"]').textContent(), '@1', 'one mention');
    t.equal(await entry.locator('[data-testid="unread"]').textContent(), '2', 'apart from the unread count');
    await b.page.screenshot({ path: `${SHOTS}/mentions-room-list-${size}.png` });
    await openRoom(b.page, team);
    const mine = b.page.locator('parley-room-view .mention.me');
    await mine.first().waitFor();
    t.equal(await mine.first().textContent(), '@bobby', 'the mention of me is marked as mine');
    if (size === 'desktop') {
      t.equal(await b.page.locator('parley-room-view .mention:not(.me)').first().textContent(), '@carol');
      t.equal(await b.page.locator('parley-room-view .msg.mentions-me').count(), 1, 'its message stands out');
    }
    await b.page.screenshot({ path: `${SHOTS}/mentions-highlight-${size}.png` });
    // Read on the server before the tab goes (an open tab looking at the room would read the next mentions at once).
    await waitFor('team read', async () => {
      const rooms = (await apiCall(url, 'GET', '/api/rooms', { token: bob.token })).body.rooms;
      return rooms.find((r: { id: string }) => r.id === team)?.unread === 0;
    });
    await b.context.close();
  }
});

t.test('notification level menu and mute; desktop notifications once across tabs, never for my own', async (t) => {
  const url = suite.server.url;
  const [dana, erin] = [await apiUser(url, 'dana'), await apiUser(url, 'erin')];
  const general = await room(dana, 'general', [erin]);
  const quiet = await room(dana, 'quiet', [erin]);

  const context: BrowserContext = (await newPage(suite.browser)).context;
  t.teardown(() => context.close());
  await context.grantPermissions(['notifications'], { origin: url });
  await context.addInitScript(RECORD_NOTIFICATIONS);
  const [tab1, tab2] = [context.pages()[0]!, await context.newPage()];
  await loginUi(tab1, url, 'erin', erin.password);
  for (const tab of [tab1, tab2]) {
    await tab.goto(`${url}/rooms/${quiet}`);
    await tab.locator('parley-room-view').waitFor();
  }

  // The level menu: Nothing, then back to Mentions; mute hides the unread count.
  await tab1.getByRole('button', { name: 'Notifications' }).click();
  const menu = tab1.locator('[data-testid="notify-menu"]');
  await menu.getByRole('radio', { name: /^Nothing/ }).check();
  const level = async (roomId: string) =>
    (await apiCall(url, 'GET', '/api/rooms', { token: erin.token })).body.rooms.find(
      (r: { id: string }) => r.id === roomId,
    ).membership;
  await waitFor('level none stored', async () => (await level(quiet)).notify === 'none');
  await menu.getByRole('radio', { name: /^Mentions/ }).check();
  await menu.getByTestId('mute').check();
  await waitFor('muted stored', async () => (await level(quiet)).muted === true);
  t.match(await level(quiet), { notify: 'mentions', muted: true });
  await waitFor('the other tab hears of it', async () =>
    tab2.evaluate(`document.querySelector('parley-app') !== null`),
  );
  await tab1.keyboard.press('Escape');

  // A mention in general (erin looks at quiet in both tabs): exactly one notification, from one of the tabs.
  await say(dana, general, 'plain chatter');
  await say(dana, general, '@erin **can you** check `this`?');
  const all = async () => [...(await notes(tab1)), ...(await notes(tab2))];
  await waitFor('a desktop notification', async () => (await all()).length > 0);
  await waitFor('both tabs counted the mention', async () =>
    (await Promise.all([tab1, tab2].map((p) => p.title()))).every((title) => /^\(\d+\) /.test(title)),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000)); // time for a second (wrong) notification to appear
  const shown = await all();
  t.equal(shown.length, 1, 'one notification for two tabs; none for the message that does not mention me');
  t.match(shown[0], { title: 'dana in general', body: '@erin can you check this?' }, 'sender, room, plain text');
  t.match(await tab1.title(), /^\(2\) /, 'the title counts the unread messages');

  // My own post (from the API, as another device would) never notifies me; a muted room notifies of nothing.
  await say(erin, general, '@room my own');
  await say(dana, quiet, '@erin in a muted room');
  await say(dana, general, '@erin again');
  await waitFor('the next notification', async () => (await all()).length === 2);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.same(
    (await all()).map((n) => n.body).sort(), // either tab may have shown either one
    ['@erin again', '@erin can you check this?'],
    'not my own message, nothing from the muted room',
  );

  // Clicking the notification opens the message: its room, scrolled to it and highlighted.
  const tag = shown[0]!.tag;
  const click = `(window.__shown || []).find((n) => n.tag === ${JSON.stringify(tag)})?.onclick`;
  const [showing] = await Promise.all([tab1, tab2].map(async (p) => ((await p.evaluate(`!!${click}`)) ? p : null)));
  const tab = showing ?? tab2;
  await tab.evaluate(`${click}()`);
  const seq = Number(tag.split(':').pop());
  await waitFor('the message link opened', async () =>
    tab.evaluate(`location.pathname === '/rooms/${general}/${seq}'`).then(Boolean),
  );
  await tab
    .locator('parley-room-view [data-testid="message"][data-highlight="true"]', { hasText: 'can you' })
    .waitFor();
});
