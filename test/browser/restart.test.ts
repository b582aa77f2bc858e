import t from 'tap';
import { apiCall, apiUser, loginUi, newPage, shownMessages, waitFor, withBrowser } from './harness.js';

/**
 * The server restarts mid-conversation while the other user keeps posting through the API: the client reconnects by
 * itself and shows every message once, in order. Access tokens last 3 s here, so the stream also expires (and is
 * refreshed and resumed with ?lastEventId=) several times along the way.
 */

const suite = withBrowser(t, { env: { ACCESS_TOKEN_TTL: '3s' } });

t.test('the client rides through a server restart and expiring tokens', async (t) => {
  const carol = await apiUser(suite.server.url, 'carol');
  const dave = await apiUser(suite.server.url, 'dave');
  const room = (
    await apiCall(suite.server.url, 'POST', '/api/rooms', { token: dave.token, body: { name: 'Ops', kind: 'private' } })
  ).body.room;
  t.equal(
    (
      await apiCall(suite.server.url, 'POST', `/api/rooms/${room.id}/members`, {
        token: dave.token,
        body: { username: 'carol' },
      })
    ).status,
    201,
  );

  const { page, context, problems } = await newPage(suite.browser);
  await loginUi(page, suite.server.url, carol.username, carol.password);
  await page.waitForURL(`**/rooms/${room.id}`);
  await page.locator('[data-status="live"]').waitFor();

  const expected: string[] = [];
  const say = async (text: string) => {
    const res = await apiCall(suite.server.url, 'POST', `/api/rooms/${room.id}/messages`, {
      token: dave.token,
      body: { text },
    });
    t.equal(res.status, 201, `dave posts "${text}"`);
    expected.push(text);
  };
  const shows = (texts: string[]) => async () => {
    const shown = (await shownMessages(page)).map((m) => m.text);
    return texts.every((x) => shown.includes(x));
  };

  for (let i = 1; i <= 3; i++) await say(`before ${i}`);
  await waitFor('messages before the restart', shows(expected));

  // Carol answers from the browser too.
  const box = page.getByLabel(/^Message Ops/);
  await box.fill('carol here');
  await box.press('Enter');
  expected.push('carol here');
  await waitFor('carol sees her own message sent', async () =>
    (await shownMessages(page)).some((m) => m.text === 'carol here' && m.status === 'sent'),
  );

  // Kill the server hard mid-conversation; Dave posts the moment it is back, before the client has reconnected.
  await suite.server.stop('SIGKILL');
  await waitFor('the client notices', async () => {
    const status = await page.locator('parley-connection [data-status]').getAttribute('data-status');
    return status === 'reconnecting' || status === 'offline';
  });
  t.pass('the connection status shows the drop');
  await suite.server.restart();
  for (let i = 1; i <= 3; i++) await say(`after ${i}`);
  await page.locator('[data-status="live"]').waitFor({ timeout: 30_000 });
  for (let i = 4; i <= 6; i++) await say(`after ${i}`);
  try {
    await waitFor('every message after the restart', shows(expected), 30_000);
  } catch (err) {
    await page.screenshot({ path: 'test-artifacts/debug-restart.png' });
    console.error(JSON.stringify(await shownMessages(page)), JSON.stringify(expected));
    throw err;
  }

  // Let the 3 s access token run out at least twice while Dave keeps posting.
  const until = Date.now() + 7000;
  let n = 0;
  while (Date.now() < until) {
    await say(`later ${++n}`);
    await new Promise((r) => setTimeout(r, 400));
  }
  await waitFor('every message across token expiries', shows(expected), 30_000);
  await page.locator('[data-status="live"]').waitFor();

  const shown = await shownMessages(page);
  t.same(
    shown.map((m) => m.text),
    expected,
    'every message once, in order',
  );
  const seqs = shown.map((m) => Number(m.seq));
  t.same(
    seqs,
    [...seqs].sort((a, b) => a - b),
    'in seq order',
  );
  t.equal(new Set(seqs).size, seqs.length, 'no duplicates');

  // Still signed in and able to post after all that.
  await box.fill('still here');
  await box.press('Enter');
  await waitFor('the last message sent', async () =>
    (await shownMessages(page)).some((m) => m.text === 'still here' && m.status === 'sent'),
  );
  // A reload long after the access cookie expired: the refresh cookie keeps the session.
  await page.reload();
  await page.getByLabel(/^Message Ops/).waitFor();
  await waitFor('history after reload', async () => (await shownMessages(page)).some((m) => m.text === 'still here'));
  await page.locator('[data-status="live"]').waitFor();
  t.pass('reload with an expired access token keeps the session');
  t.same(problems, [], 'no dialogs or page errors');
  await context.close();
});
