import t from 'tap';
import { apiCall, apiUser, loginUi, newPage, waitFor, withBrowser } from './harness.js';

/**
 * What re-renders, with the real server and stream: a typing notice re-renders the typing line only (not the room
 * list, the members, the timeline); a new message re-renders the timeline. Renders are counted by wrapping each
 * element's render() in the page.
 */

const suite = withBrowser(t);

const COUNT = `(() => {
  window.renders = {};
  for (const tag of ['parley-chat', 'parley-rooms', 'parley-members', 'parley-room-view', 'parley-timeline']) {
    const el = customElements.get(tag);
    if (!el) continue;
    const render = el.prototype.render;
    el.prototype.render = function () {
      window.renders[tag] = (window.renders[tag] || 0) + 1;
      return render.call(this);
    };
  }
})()`;

t.test('a typing notice re-renders the typing line only; a new message re-renders the timeline', async (t) => {
  const { url } = suite.server;
  const gail = await apiUser(url, 'gail');
  const hugo = await apiUser(url, 'hugo');
  const room = (
    await apiCall(url, 'POST', '/api/rooms', { token: gail.token, body: { name: 'Quiet', kind: 'public' } })
  ).body.room;
  await apiCall(url, 'POST', '/api/rooms', { token: hugo.token, body: { name: 'Elsewhere', kind: 'public' } });
  t.equal((await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: hugo.token })).status, 201);
  await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: hugo.token, body: { text: 'first' } });

  const { page, context, problems } = await newPage(suite.browser);
  t.teardown(() => context.close());
  await loginUi(page, url, gail.username, gail.password);
  await page.goto(`${url}/rooms/${room.id}`);
  await page.locator('[data-status="live"]').waitFor();
  await page.locator('parley-room-view [data-testid="message-text"]', { hasText: 'first' }).waitFor();
  await page.locator('parley-members li[data-username="hugo"]').waitFor();
  await page.locator('parley-rooms [data-testid="public-rooms"]', { hasText: 'Elsewhere' }).waitFor();
  await page.evaluate(COUNT);
  // Opening the room sends a read receipt and starts presence: their events (receipts are written and announced
  // each RECEIPT_BATCH_MS, presence each PRESENCE_WINDOW_MS, both 1 s) re-render the timeline's ticks and dots, so
  // they must have landed before counting what a typing notice re-renders.
  await page.waitForTimeout(2500);
  await page.evaluate('window.renders = {}');

  t.equal((await apiCall(url, 'POST', `/api/rooms/${room.id}/typing`, { token: hugo.token })).status, 204);
  await page.locator('parley-room-view .typing', { hasText: 'hugo is typing' }).waitFor();
  const typing = (await page.evaluate('window.renders')) as Record<string, number>;
  t.notOk(typing['parley-rooms'], `the room list did not re-render (${typing['parley-rooms'] ?? 0})`);
  t.notOk(typing['parley-members'], `the members list did not re-render (${typing['parley-members'] ?? 0})`);
  t.notOk(typing['parley-chat'], `the shell did not re-render (${typing['parley-chat'] ?? 0})`);
  t.notOk(typing['parley-timeline'], `the timeline did not re-render (${typing['parley-timeline'] ?? 0})`);

  await page.evaluate('window.renders = {}');
  await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: hugo.token, body: { text: 'second' } });
  await page.locator('parley-room-view [data-testid="message-text"]', { hasText: 'second' }).waitFor();
  await waitFor(
    'the typing line cleared',
    async () => (await page.locator('parley-room-view .typing').textContent()) === '',
  );
  const message = (await page.evaluate('window.renders')) as Record<string, number>;
  t.ok(
    (message['parley-timeline'] ?? 0) >= 1,
    `the timeline re-rendered for the message (${message['parley-timeline'] ?? 0})`,
  );
  t.notOk(message['parley-rooms'], 'the room list did not (the room is open, no unread count changed)');
  t.same(problems, []);
});
