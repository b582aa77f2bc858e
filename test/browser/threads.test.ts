import { copyFileSync, mkdirSync } from 'node:fs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { apiCall, apiUser, loginUi, newPage, screenshot, waitFor, withBrowser } from './harness.js';

/**
 * Replies and threads in the web client: reply from the composer (Esc cancels), the quote in the timeline and its
 * jump to the parent, "N replies" opening the thread panel, and the panel following the thread live while another
 * user replies (from the API and from their own panel). Screenshots of an open thread at desktop and phone sizes.
 */

const suite = withBrowser(t);
const SHOTS = '/work/helpers/shots';

function message(page: Page, text: string) {
  return page.locator('parley-timeline parley-message').filter({ hasText: text }).first();
}

function keep(file: string, name: string): void {
  try {
    mkdirSync(SHOTS, { recursive: true });
    copyFileSync(file, `${SHOTS}/${name}`);
  } catch {
    /* the shots folder is a convenience of this machine */
  }
}

t.test('reply from the composer; the thread panel opens and updates live', async (t) => {
  const url = suite.server.url;
  const [alice, bob] = [await apiUser(url, 'alicet'), await apiUser(url, 'bobt')];
  const { body } = await apiCall(url, 'POST', '/api/rooms', {
    token: alice.token,
    body: { name: 'launch', topic: 'Release day' },
  });
  const room = body.room as { id: string };
  await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: bob.token });
  const say = async (who: { token: string }, text: string, replyTo?: number) =>
    (await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: who.token, body: { text, replyTo } })).body
      .message as { seq: number };
  await say(alice, 'Morning! The release branch is cut.');
  const question = await say(bob, 'Do we ship the new onboarding flow today, or wait for the copy review?');
  await say(alice, 'Coffee first.');

  const a = await newPage(suite.browser);
  const b = await newPage(suite.browser);
  t.teardown(() => Promise.all([a.context.close(), b.context.close()]));
  await loginUi(a.page, url, alice.username, alice.password);
  await loginUi(b.page, url, bob.username, bob.password);
  await a.page.goto(`${url}/rooms/${room.id}`);
  await b.page.goto(`${url}/rooms/${room.id}`);
  await message(a.page, 'onboarding flow').waitFor();

  // Reply from the hover actions; Esc cancels; Reply again and send.
  const box = a.page.getByLabel(/^Message launch/);
  await message(a.page, 'onboarding flow').hover();
  await message(a.page, 'onboarding flow').getByRole('button', { name: 'Reply' }).click();
  const replying = a.page.locator('parley-room-view > .column [data-testid="replying-to"]');
  await replying.waitFor();
  t.match(await replying.textContent(), /Replying to\s+bobt[\s\S]*onboarding flow/, 'the composer shows the parent');
  await box.press('Escape');
  await replying.waitFor({ state: 'detached' });
  t.pass('Esc cancels the reply');
  await message(a.page, 'onboarding flow').hover();
  await message(a.page, 'onboarding flow').getByRole('button', { name: 'Reply' }).click();
  await replying.waitFor();
  await box.pressSequentially('Ship it, the copy review is done.', { delay: 0 });
  await box.press('Enter');
  await replying.waitFor({ state: 'detached' });

  // Both timelines: the reply with its quote, the root with "1 reply".
  for (const page of [a.page, b.page]) {
    const reply = message(page, 'Ship it');
    await reply.locator('[data-testid="reply-quote"]').waitFor();
    t.match(await reply.locator('[data-testid="reply-quote"]').textContent(), /bobt[\s\S]*onboarding flow/);
    await waitFor('1 reply on the root', async () =>
      /1 reply/.test(
        (await message(page, 'onboarding flow').locator('[data-testid="thread-link"]').textContent()) ?? '',
      ),
    );
  }
  t.pass('the reply and the summary reach both users live');

  // The quote jumps to the parent.
  await message(a.page, 'Ship it').locator('[data-testid="reply-quote"]').click();
  await waitFor(
    'the parent highlighted',
    async () =>
      (await a.page.locator(`parley-timeline parley-message[data-seq="${question.seq}"]`).getAttribute('highlight')) !==
      null,
  );
  t.pass('clicking the quote shows the parent');

  // Bob opens the thread; Alice replies from the API and then from her own panel: Bob's panel follows.
  await message(b.page, 'onboarding flow').locator('[data-testid="thread-link"]').click();
  const panel = b.page.locator('parley-thread');
  await panel.locator('parley-message').filter({ hasText: 'Ship it' }).waitFor();
  t.match(await panel.locator('[data-testid="thread-count"]').textContent(), /1 reply/);
  await say(alice, 'Marketing is ready too.', question.seq);
  await panel.locator('parley-message').filter({ hasText: 'Marketing is ready' }).waitFor();
  await waitFor('2 replies in the panel', async () =>
    /2 replies/.test((await panel.locator('[data-testid="thread-count"]').textContent()) ?? ''),
  );
  t.pass("the panel shows another user's reply live");

  await message(a.page, 'onboarding flow').locator('[data-testid="thread-link"]').click();
  const aPanel = a.page.locator('parley-thread');
  const threadBox = aPanel.getByLabel('Reply in thread');
  await threadBox.pressSequentially('Tagging v2.4.0 now.', { delay: 0 });
  await threadBox.press('Enter');
  await panel.locator('parley-message').filter({ hasText: 'Tagging v2.4.0' }).waitFor();
  await waitFor('3 replies', async () =>
    /3 replies/.test(
      (await message(b.page, 'onboarding flow').locator('[data-testid="thread-link"]').textContent()) ?? '',
    ),
  );
  t.pass("a reply from the thread's own composer reaches the other panel and the root's summary");
  // Bob answers in the thread too, so the screenshot shows a conversation.
  const bobBox = panel.getByLabel('Reply in thread');
  await bobBox.pressSequentially('Great, I will watch the dashboards.', { delay: 0 });
  await bobBox.press('Enter');
  await aPanel.locator('parley-message').filter({ hasText: 'watch the dashboards' }).waitFor();
  t.same(a.problems, [], 'no page errors (alice)');
  t.same(b.problems, [], 'no page errors (bob)');
  // The timeline back at its newest message (the jump to the parent scrolled it up).
  const jump = a.page.locator('parley-timeline .jump');
  if (await jump.isVisible()) await jump.click();
  await a.page.waitForTimeout(300);
  keep(await screenshot(a.page, 'threads-desktop-1280x800'), 'threads-desktop.png');

  // A phone: the thread covers the timeline; closing it shows the room again.
  const p = await newPage(suite.browser, { width: 390, height: 844 });
  t.teardown(() => p.context.close());
  await loginUi(p.page, url, bob.username, bob.password);
  await p.page.goto(`${url}/rooms/${room.id}`);
  await message(p.page, 'onboarding flow').locator('[data-testid="thread-link"]').click();
  await p.page.locator('parley-thread parley-message').filter({ hasText: 'watch the dashboards' }).waitFor();
  const box390 = await p.page.locator('parley-thread').boundingBox();
  t.ok(box390 && box390.width >= 380, 'the panel takes the full width of a phone');
  await p.page.waitForTimeout(300);
  keep(await screenshot(p.page, 'threads-phone-390x844'), 'threads-phone.png');
  await p.page.getByRole('button', { name: 'Close thread' }).click();
  await p.page.locator('parley-thread').waitFor({ state: 'detached' });
  t.same(p.problems, [], 'no page errors (phone)');
});
