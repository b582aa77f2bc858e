import t from 'tap';
import type { Page } from 'playwright-core';
import { apiCall, apiUser, loginUi, newPage, screenshot, waitFor, withBrowser } from './harness.js';

/**
 * Reactions by two people, each seeing the other's live, with the picker (its emoji data served by Parley); pins
 * from a message's menu, the pin marker, and the Pinned panel in the room header that jumps to an old message.
 */

const suite = withBrowser(t);

const chip = (page: Page, seq: number, emoji: string) =>
  page.locator(`parley-message[data-seq="${seq}"] [data-testid="reaction"][data-emoji="${emoji}"]`);

async function chipState(page: Page, seq: number, emoji: string): Promise<string> {
  const c = chip(page, seq, emoji);
  if ((await c.count()) === 0) return 'none';
  return `${await c.getAttribute('data-count')}${(await c.getAttribute('aria-pressed')) === 'true' ? ' mine' : ''}`;
}

t.test('two people react live; the owner pins from a message and jumps from the Pinned panel', async (t) => {
  const url = suite.server.url;
  const alice = await apiUser(url, 'alice_r');
  const bob = await apiUser(url, 'bob_r');
  const room = (await apiCall(url, 'POST', '/api/rooms', { token: alice.token, body: { name: 'Launch' } })).body.room;
  await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: bob.token });
  const seqs: number[] = [];
  for (let i = 0; i < 60; i++) {
    const text = i === 0 ? 'The very first plan: ship on Friday' : `update ${i}`;
    const res = await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, {
      token: i % 2 ? bob.token : alice.token,
      body: { text },
    });
    seqs.push(res.body.message.seq);
  }
  const last = (
    await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, {
      token: bob.token,
      body: { text: 'Release notes are ready for review' },
    })
  ).body.message.seq as number;

  const a = await newPage(suite.browser);
  const b = await newPage(suite.browser);
  for (const [page, user] of [
    [a.page, alice],
    [b.page, bob],
  ] as const) {
    await loginUi(page, url, user.username, user.password);
    await page.goto(`${url}/rooms/${room.id}`);
    await page.locator(`parley-message[data-seq="${last}"]`).waitFor();
  }

  // Alice reacts with the picker.
  await a.page.locator(`parley-message[data-seq="${last}"] [data-testid="message"]`).hover();
  await a.page.locator(`parley-message[data-seq="${last}"] [data-testid="react-button"]`).click();
  const picker = a.page.locator('parley-emoji-picker emoji-picker');
  await picker.locator('input[type="search"]').fill('thumbs up');
  await picker.locator('button[role="option"]').first().click();
  await waitFor('alice sees her 👍', async () => (await chipState(a.page, last, '👍')) === '1 mine');
  await waitFor('bob sees alice’s 👍 live', async () => (await chipState(b.page, last, '👍')) === '1');
  t.match(await chip(b.page, last, '👍').getAttribute('title'), /alice_r reacted with 👍/i, 'hover says who');

  // Bob adds his by clicking the chip; Alice sees the count move.
  await chip(b.page, last, '👍').click();
  await waitFor('bob’s chip is pressed', async () => (await chipState(b.page, last, '👍')) === '2 mine');
  await waitFor('alice sees 2', async () => (await chipState(a.page, last, '👍')) === '2 mine');
  t.match(await chip(a.page, last, '👍').getAttribute('title'), /alice_r and bob_r reacted/i);
  // Alice takes hers back.
  await chip(a.page, last, '👍').click();
  await waitFor('alice’s is gone', async () => (await chipState(a.page, last, '👍')) === '1');
  await waitFor('bob sees 1, his', async () => (await chipState(b.page, last, '👍')) === '1 mine');
  // And Bob adds a second emoji through the + chip.
  await b.page.locator(`parley-message[data-seq="${last}"] [data-testid="add-reaction"]`).click();
  await b.page.locator('parley-emoji-picker emoji-picker input[type="search"]').fill('party popper');
  await b.page.locator('parley-emoji-picker emoji-picker button[role="option"]').first().click();
  await waitFor('alice sees 🎉 live', async () => (await chipState(a.page, last, '🎉')) === '1');

  // Pins: Bob (a member) is not offered the pin; Alice pins the newest from its menu.
  await b.page.locator(`parley-message[data-seq="${last}"] [data-testid="message"]`).hover();
  t.equal(await b.page.locator(`parley-message[data-seq="${last}"] [data-testid="pin-button"]`).count(), 0);
  await a.page.locator(`parley-message[data-seq="${last}"] [data-testid="message"]`).hover();
  await a.page.locator(`parley-message[data-seq="${last}"] [data-testid="pin-button"]`).click();
  await waitFor('bob sees the pin marker live', async () =>
    b.page.locator(`parley-message[data-seq="${last}"] [data-testid="pin-marker"]`).isVisible(),
  );
  // An old message, beyond the first page, pinned elsewhere (by the API): the panel has it too.
  await apiCall(url, 'PUT', `/api/rooms/${room.id}/pins/${seqs[0]}`, { token: alice.token });
  await a.page.getByRole('button', { name: /^Pinned messages/ }).click();
  const panel = a.page.locator('[data-testid="pins-panel"]');
  await waitFor('two pins, newest first', async () => (await panel.locator('[data-testid="pinned"]').count()) === 2);
  t.same(await panel.locator('[data-testid="pinned-text"]').allTextContents(), [
    'The very first plan: ship on Friday',
    'Release notes are ready for review',
  ]);
  await screenshot(a.page, 'reactions-pinned-panel-1280x800');
  await panel.locator('[data-testid="pinned"]').first().locator('button.open').click();
  const old = a.page.locator(`parley-message[data-seq="${seqs[0]}"]`);
  await waitFor('the old message is loaded and in view', async () => (await old.count()) === 1 && old.isVisible());
  await waitFor('scrolled to it', async () => {
    const box = await old.boundingBox();
    return !!box && box.y >= 0 && box.y < 800;
  });
  t.ok(await old.locator('[data-testid="pin-marker"]').isVisible(), 'it shows its pin marker');
  t.same([...a.problems, ...b.problems], [], 'no page errors, dialogs or CSP refusals');

  // Screenshots: the reactions at desktop and phone widths; the pinned panel on a phone.
  await a.page.locator(`parley-message[data-seq="${last}"]`).scrollIntoViewIfNeeded();
  await screenshot(a.page, 'reactions-message-1280x800');
  const phone = await newPage(suite.browser, { width: 390, height: 844 });
  await loginUi(phone.page, url, bob.username, bob.password);
  await phone.page.goto(`${url}/rooms/${room.id}`);
  await chip(phone.page, last, '👍').waitFor();
  await screenshot(phone.page, 'reactions-message-390x844');
  await phone.page.getByRole('button', { name: /^Pinned messages/ }).click();
  await phone.page.locator('[data-testid="pins-panel"] [data-testid="pinned"]').nth(1).waitFor();
  await screenshot(phone.page, 'reactions-pinned-panel-390x844');
  t.same(phone.problems, []);
  await Promise.all([a.context.close(), b.context.close(), phone.context.close()]);
});
