import { copyFileSync, mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import t from 'tap';
import { apiCall, apiUser, loginUi, newPage, screenshot, shownTexts, waitFor, withBrowser } from './harness.js';

/**
 * Links to a message (`/rooms/<roomId>/<seq>`, or `#/rooms/<roomId>/<seq>`): a fresh page opens the room scrolled to
 * the message and highlights it, in a room with more history than one page; paging older and newer goes on from
 * there, and once the newest is reached live messages append again. "Copy link" copies that address.
 */

const suite = withBrowser(t);
const SHOTS = process.env.PARLEY_SHOTS; // a folder to copy the screenshots to, when set

const TOP = new Function('el', 'el.scrollTop = 0') as (el: Element) => void;
const BOTTOM = new Function('el', 'el.scrollTop = el.scrollHeight') as (el: Element) => void;
/** Whether an element is inside the visible part of the timeline. */
const IN_VIEW = new Function(
  'els',
  `const [msg, box] = els.map((e) => e.getBoundingClientRect());
   return msg.top >= box.top - 1 && msg.bottom <= box.bottom + 1;`,
) as (els: Element[]) => boolean;

async function highlighted(page: Page, text: string): Promise<void> {
  await page
    .locator('parley-room-view [data-testid="message"][data-highlight="true"]', {
      hasText: new RegExp(`^\\s*${text}\\b`),
    })
    .waitFor();
}

async function inView(page: Page, text: string): Promise<boolean> {
  const msg = page.locator('parley-room-view [data-testid="message"]', { hasText: new RegExp(`^\\s*${text}\\s`) });
  const scroller = page.locator('parley-room-view [data-testid="timeline"]');
  const handles = [await msg.elementHandle(), await scroller.elementHandle()];
  return page.evaluate(
    ([fn, ...els]) => (new Function('els', `return (${fn})(els)`) as (els: unknown) => boolean)(els),
    [IN_VIEW.toString(), ...handles] as const,
  );
}

t.test('a deep link opens the room at the message, highlighted; paging and the live stream go on', async (t) => {
  const { url } = suite.server;
  const ada = await apiUser(url, 'ada');
  const ben = await apiUser(url, 'ben');
  const room = (
    await apiCall(url, 'POST', '/api/rooms', { token: ada.token, body: { name: 'History', kind: 'public' } })
  ).body.room;
  t.equal((await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: ben.token })).status, 201);
  const seqs: number[] = [];
  for (let i = 1; i <= 150; i++) {
    const who = i % 3 === 0 ? ada : ben;
    const text = i === 75 ? 'msg 75 the one we link to' : `msg ${i}`;
    const res = await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: who.token, body: { text } });
    seqs.push(res.body.message.seq);
  }
  const target = seqs[74]!;

  // Signed in once; the link opens in a fresh page of that browser.
  const { page: login, context, problems } = await newPage(suite.browser);
  t.teardown(() => context.close());
  await loginUi(login, url, ada.username, ada.password);
  await login.close();
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(`${url}/rooms/${room.id}/${target}`);
  await page.locator('[data-status="live"]').waitFor();
  await highlighted(page, 'msg 75');
  t.ok(await inView(page, 'msg 75'), 'the linked message is scrolled into view and highlighted');
  let texts = await shownTexts(page);
  t.notOk(texts.includes('msg 150'), 'the newest page was not needed');
  t.notOk(texts.includes('msg 1'), 'nor the oldest');
  t.ok(texts.includes('msg 60') && texts.includes('msg 90'), 'the history around it is shown');
  await page.getByRole('button', { name: 'Jump to latest' }).waitFor();
  const file = await screenshot(page, 'jump-1280x800');
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    copyFileSync(file, `${SHOTS}/markdown-jump-desktop.png`);
  }
  await page.locator('parley-room-view [data-highlight="true"]').waitFor({ state: 'detached' });
  t.pass('the highlight is brief');

  // A message posted while the reader is away from the live end waits for paging to reach it.
  await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: ben.token, body: { text: 'live while away' } });

  const timeline = page.locator('parley-room-view [data-testid="timeline"]');
  // Scrolled to the top until the first message and the room's beginning show: the page that brings msg 1 may be a
  // full one, and only the next (empty) page says there is nothing older.
  const beginning = page.locator('parley-room-view', { hasText: 'This is the beginning of' });
  await waitFor('older pages down to the first message', async () => {
    await timeline.evaluate(TOP);
    return (await shownTexts(page)).includes('msg 1') && (await beginning.count()) > 0;
  });
  await beginning.waitFor();
  t.pass('paging older from the linked message reaches the first message');

  await waitFor('newer pages up to the newest message', async () => {
    await timeline.evaluate(BOTTOM);
    return (await shownTexts(page)).includes('live while away');
  });
  texts = await shownTexts(page);
  const expected = [
    ...Array.from({ length: 150 }, (_, i) => (i === 74 ? 'msg 75 the one we link to' : `msg ${i + 1}`)),
  ];
  t.same(
    texts,
    [...expected, 'live while away'],
    'every message once, in order, no gap: paged both ways and caught up',
  );
  t.equal(await page.getByRole('button', { name: 'Jump to latest' }).count(), 0, 'back at the live end');

  await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: ben.token, body: { text: 'live after' } });
  await waitFor('the live message appends', async () => (await shownTexts(page)).at(-1) === 'live after');
  t.pass('the live stream appends again');

  // Copy link: the address of the message, which opens it again.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const msg = page.locator('parley-room-view [data-testid="message"]', { hasText: /^\s*msg 140\s/ });
  await msg.hover();
  await msg.getByRole('button', { name: 'Copy link to message' }).click();
  await page.locator('parley-toasts', { hasText: 'Link to the message copied' }).waitFor();
  const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
  t.equal(copied, `${url}/rooms/${room.id}/${seqs[139]}`, 'copy link copies the message address');

  // The hash form of a link, in another fresh page, to a message near the start.
  const hashPage = await context.newPage();
  hashPage.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await hashPage.goto(`${url}/#/rooms/${room.id}/${seqs[2]}`);
  await highlighted(hashPage, 'msg 3');
  t.equal(new URL(hashPage.url()).pathname, `/rooms/${room.id}/${seqs[2]}`, 'the hash link became the path');
  t.ok(await inView(hashPage, 'msg 3'));

  // A link to something that is not a message of the room says so and opens the room at its newest.
  const badPage = await context.newPage();
  await badPage.goto(`${url}/rooms/${room.id}/999999`);
  await badPage.locator('parley-toasts', { hasText: 'Could not open the linked message' }).waitFor();
  await waitFor('the newest messages', async () => (await shownTexts(badPage)).includes('live after'));
  t.same(problems, [], 'no page error');
});

t.test('a link opened while signed out leads to the message after signing in', async (t) => {
  const { url } = suite.server;
  const dee = await apiUser(url, 'dee');
  const room = (await apiCall(url, 'POST', '/api/rooms', { token: dee.token, body: { name: 'Later', kind: 'public' } }))
    .body.room;
  let target = 0;
  for (let i = 1; i <= 70; i++) {
    const res = await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, {
      token: dee.token,
      body: { text: `later ${i}` },
    });
    if (i === 5) target = res.body.message.seq;
  }
  const { page, context } = await newPage(suite.browser);
  t.teardown(() => context.close());
  await page.goto(`${url}/rooms/${room.id}/${target}`);
  await page.waitForURL('**/login');
  await page.getByLabel('Username or email').fill(dee.username);
  await page.getByLabel('Password', { exact: true }).fill(dee.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await highlighted(page, 'later 5');
  t.equal(new URL(page.url()).pathname, `/rooms/${room.id}/${target}`, 'back at the link after signing in');
});

t.test('a linked message at phone width', async (t) => {
  const { url } = suite.server;
  const cy = await apiUser(url, 'cyd');
  const room = (await apiCall(url, 'POST', '/api/rooms', { token: cy.token, body: { name: 'Phone', kind: 'public' } }))
    .body.room;
  let target = 0;
  for (let i = 1; i <= 80; i++) {
    const text = i === 30 ? 'The **deploy** is at `noon`:\n> freeze merges\n- tag\n- push' : `note ${i}`;
    const res = await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: cy.token, body: { text } });
    if (i === 30) target = res.body.message.seq;
  }
  const { page, context } = await newPage(suite.browser, { width: 390, height: 844 });
  t.teardown(() => context.close());
  await loginUi(page, url, cy.username, cy.password);
  await page.goto(`${url}/rooms/${room.id}/${target}`);
  await highlighted(page, 'The deploy');
  const file = await screenshot(page, 'jump-390x844');
  if (SHOTS) copyFileSync(file, `${SHOTS}/markdown-jump-phone.png`);
  t.pass('highlighted at phone width');
});
