import t from 'tap';
import type { Page } from 'playwright-core';
import {
  apiCall,
  focusedLabel,
  newPage,
  screenshot,
  shownMessages,
  shownTexts,
  waitFor,
  withBrowser,
} from './harness.js';

/**
 * Two people in two browser contexts: register (with the API's inline validation), create and join a room, chat
 * live both ways, edit and delete, see HTML as text, reload and sign out. Screenshots at phone and desktop sizes.
 */

const suite = withBrowser(t);

const PASSWORD = 'purple elephant juggling 42 teacups';

async function register(
  page: Page,
  fields: { username: string; email: string; password: string; displayName?: string; avatar?: string; gender?: string },
) {
  if (fields.gender) await page.getByLabel(/^Gender/).selectOption(fields.gender);
  if (fields.avatar) await page.getByRole('radio', { name: fields.avatar }).check();
  await page.getByLabel('Username', { exact: true }).fill(fields.username);
  await page.getByLabel('Email').fill(fields.email);
  await page.getByLabel('Password', { exact: true }).fill(fields.password);
  if (fields.displayName) await page.getByLabel('Display name (optional)').fill(fields.displayName);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** Types like a person: Shift+Enter for each line break, Enter to send. */
async function send(page: Page, text: string) {
  const box = page.getByLabel(/^Message /);
  await box.fill('');
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) await box.press('Shift+Enter');
    await box.pressSequentially(lines[i]!, { delay: 0 });
  }
  await box.press('Enter');
}

t.test('two users register, chat live, and sign out', async (t) => {
  const a = await newPage(suite.browser);
  const b = await newPage(suite.browser);
  const alice = a.page;
  const bob = b.page;

  // A logged-out visitor is taken to the login page.
  await alice.goto(suite.server.url + '/');
  await alice.waitForURL('**/login');
  await screenshot(alice, 'login-1280x800');
  await alice.getByRole('link', { name: 'Create an account' }).click();
  await alice.waitForURL('**/register');

  // A weak password: the API's reason shows next to the password field.
  await register(alice, {
    username: 'alice',
    email: 'alice@example.com',
    password: 'password1',
    displayName: 'Alice',
    avatar: 'Fox',
  });
  const pwError = alice.locator('[data-error-for="password"]');
  await waitFor(
    'weak password message',
    async () =>
      /password/i.test((await pwError.textContent()) ?? '') &&
      (await alice.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')) === 'true',
  );
  t.match(await pwError.textContent(), /at least 10 characters|too weak/i, 'weak password explained inline');
  await alice.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await alice.getByRole('button', { name: 'Create account' }).click();
  await alice.locator('parley-chat').waitFor();
  t.pass('alice registered and went straight to the chat');

  // Bob: a bad email and a taken username are explained inline too.
  await bob.goto(suite.server.url + '/register');
  await register(bob, { username: 'alice', email: 'not-an-email', password: PASSWORD, gender: 'male' });
  await waitFor('bad email message', async () =>
    /email/i.test((await bob.locator('[data-error-for="email"]').textContent()) ?? ''),
  );
  await bob.getByLabel('Email').fill('bob@example.com');
  await bob.getByRole('button', { name: 'Create account' }).click();
  await waitFor('taken username message', async () =>
    /taken/i.test((await bob.locator('[data-error-for="username"]').textContent()) ?? ''),
  );
  t.pass('bad email and taken username shown inline');
  await screenshot(bob, 'register-errors-1280x800');

  // Alice creates a public room.
  await alice.getByRole('button', { name: 'New room' }).click();
  const create = alice.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Name').fill('General');
  await create.getByLabel(/^Topic/).fill('Everything and nothing');
  await create.getByRole('button', { name: 'Create room' }).click();
  await alice.waitForURL(/\/rooms\/[\w-]+$/);
  const roomId = alice.url().split('/').pop()!;
  await alice.locator('[data-testid="room-title"]', { hasText: 'General' }).waitFor();

  await bob.getByLabel('Username', { exact: true }).fill('bob');
  await bob.getByRole('button', { name: 'Create account' }).click();
  await bob.locator('parley-chat').waitFor();
  await bob.getByRole('button', { name: 'Join General' }).click();
  await bob.waitForURL(`**/rooms/${roomId}`);
  await bob.getByLabel(/^Message General/).waitFor();

  // Alice sees Bob's arrival live, and both are live.
  await alice.locator('[data-testid="activity"]', { hasText: 'bob joined' }).waitFor();
  for (const p of [alice, bob]) await p.locator('[data-status="live"]').waitFor();

  // Interleaved conversation: each side sees every message once, in order.
  const lines: Array<[Page, string]> = [
    [alice, 'Hi Bob!'],
    [bob, 'Hello Alice, how are you?'],
    [alice, 'Great, thanks.\nTwo lines here.'],
    [bob, 'Here is a link: https://example.com/docs?a=1.'],
    [alice, 'Nice'],
    [bob, 'See you'],
  ];
  const expected: string[] = [];
  for (const [page, text] of lines) {
    await send(page, text);
    expected.push(text.replace('https://example.com/docs?a=1', 'https://example.com/docs?a=1'));
    for (const p of [alice, bob])
      await waitFor(`"${text}" on both sides`, async () => (await shownTexts(p)).includes(text));
  }
  for (const [name, p] of [
    ['alice', alice],
    ['bob', bob],
  ] as const) {
    const shown = await shownMessages(p);
    t.same(
      shown.map((m) => m.text),
      expected,
      `${name} sees every message once, in order`,
    );
    t.ok(
      shown.every((m) => m.status === 'sent'),
      `${name}: every message is marked sent`,
    );
    const seqs = shown.map((m) => Number(m.seq));
    t.same(
      seqs,
      [...seqs].sort((x, y) => x - y),
      `${name}: seqs ascending`,
    );
  }
  // Own messages right/blue, others left/green with avatar and name.
  const mine = alice.locator('parley-room-view .msg.mine', { hasText: 'Hi Bob!' });
  const theirs = alice.locator('parley-room-view .msg.theirs', { hasText: 'Hello Alice' });
  t.equal(await mine.count(), 1, 'own message on the right');
  t.equal(await theirs.locator('svg.avatar').count(), 1, 'others have an avatar');
  t.match(await theirs.locator('.meta').textContent(), /bob/, 'others have a name');
  t.equal(
    await alice.locator('parley-room-view .msg.mine', { hasText: 'Two lines here.' }).count(),
    1,
    'Shift+Enter made a new line, Enter sent',
  );
  const link = alice.locator('parley-room-view a[href="https://example.com/docs?a=1"]');
  t.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow ugc', 'links become safe links');

  // Typing notices and read receipts.
  const bobBox = bob.getByLabel(/^Message /);
  await bobBox.pressSequentially('thinking about it', { delay: 200 });
  await alice.locator('parley-room-view .typing', { hasText: 'bob is typing' }).waitFor();
  await bobBox.fill('');
  t.pass('typing shows on the other side');
  await alice.locator('parley-room-view .msg.mine', { hasText: 'Nice' }).locator('[data-receipt="read"]').waitFor();
  t.pass('own messages show when they have been read');

  // Pending, then sent: hold the POST until we have seen the pending state.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await alice.route('**/api/rooms/*/messages', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  await send(alice, 'This one takes a while');
  await alice
    .locator('[data-testid="message"][data-status="pending"]', { hasText: 'This one takes a while' })
    .waitFor();
  const posted = alice.waitForResponse(
    (r) => r.request().method() === 'POST' && /\/api\/rooms\/[^/]+\/messages$/.test(r.url()),
  );
  release();
  t.equal((await posted).status(), 201, 'the held message is stored');
  try {
    await alice.locator('[data-testid="message"][data-status="sent"]', { hasText: 'This one takes a while' }).waitFor();
  } catch (err) {
    await screenshot(alice, 'debug-pending');
    console.error('shown:', JSON.stringify(await shownMessages(alice)));
    throw err;
  }
  await alice.unroute('**/api/rooms/*/messages');
  await waitFor('bob sees the slow one', async () => (await shownTexts(bob)).includes('This one takes a while'));
  t.pass('an unsent message shows as pending, then as sent');

  // HTML is text: nothing runs, no element is created.
  const evil = '<img src=x onerror=alert(1)> and <script>alert(2)</script> <b>bold?</b>';
  await send(bob, evil);
  for (const p of [alice, bob]) await waitFor('evil text shown', async () => (await shownTexts(p)).includes(evil));
  for (const [name, p] of [
    ['alice', alice],
    ['bob', bob],
  ] as const) {
    t.equal(
      await p.locator('parley-room-view img, parley-room-view script, parley-room-view b').count(),
      0,
      `${name}: no element from message HTML`,
    );
  }

  // Edit and delete own messages; the other side sees the marks live.
  const aliceNice = alice.locator('parley-room-view .msg.mine', { hasText: 'Nice' });
  await aliceNice.hover();
  await aliceNice.getByRole('button', { name: 'Edit message' }).click();
  const editBox = alice.getByRole('textbox', { name: 'Edit message' });
  await editBox.fill('Nice (edited)');
  await editBox.press('Enter');
  await bob.locator('parley-room-view .msg', { hasText: 'Nice (edited)' }).locator('.edited').waitFor();
  const aliceSlow = alice.locator('parley-room-view .msg.mine', { hasText: 'This one takes a while' });
  await aliceSlow.hover();
  await aliceSlow.getByRole('button', { name: 'Delete message' }).click();
  await alice.getByTestId('confirm').click();
  await bob.locator('parley-room-view .msg.deleted').waitFor();
  t.notOk((await shownTexts(bob)).includes('This one takes a while'), 'deleted text is gone on the other side');
  t.pass('edit and delete show live');

  // Members panel: both, online.
  await waitFor('two members online', async () => (await alice.locator('parley-members li .dot.online').count()) === 2);

  // Screenshots: desktop, and phone with its drawers.
  await screenshot(alice, 'chat-1280x800');
  await bob.setViewportSize({ width: 390, height: 844 });
  await bob.locator('parley-room-view').waitFor();
  await screenshot(bob, 'chat-390x844');
  // The drawers work from the keyboard: focus moves in, Escape closes and returns focus to the button.
  await bob.getByRole('button', { name: /^Rooms/ }).focus();
  await bob.keyboard.press('Enter');
  await bob.locator('aside.rooms:not([data-closed])').waitFor();
  await waitFor('focus inside the rooms drawer', async () => (await focusedLabel(bob)) === 'Close rooms');
  await screenshot(bob, 'rooms-drawer-390x844');
  await bob.keyboard.press('Escape');
  await bob.locator('aside.rooms[data-closed]').waitFor({ state: 'attached' });
  await waitFor('focus back on the rooms button', async () => /^Rooms/.test(await focusedLabel(bob)));
  t.pass('the rooms drawer opens and closes from the keyboard');
  await bob.getByRole('button', { name: /^Members/ }).click();
  await bob.locator('aside.members:not([data-closed])').waitFor();
  await screenshot(bob, 'members-drawer-390x844');
  await bob.keyboard.press('Escape');

  // Reload keeps the session and the conversation.
  await bob.reload();
  await bob.locator('[data-testid="room-title"]', { hasText: 'General' }).waitFor();
  await waitFor('history after reload', async () => (await shownTexts(bob)).includes('Hi Bob!'));
  await bob.locator('[data-status="live"]').waitFor();
  t.pass('reload keeps the session');

  // Logout ends it: back to login, and the app stays there.
  await bob.getByRole('button', { name: /^Rooms/ }).click();
  await bob.getByTestId('logout').click();
  await bob.waitForURL('**/login');
  const me = await bob.evaluate(async () => (await fetch('/api/me')).status);
  t.equal(me, 401, 'the session is over');
  await bob.goto(suite.server.url + `/rooms/${roomId}`);
  await bob.waitForURL('**/login');
  await screenshot(bob, 'login-390x844');
  const probe = await apiCall(suite.server.url, 'GET', '/api/health');
  t.equal(probe.status, 200);

  t.same(a.problems, [], 'no dialogs, page errors or CSP violations for alice');
  t.same(b.problems, [], 'no dialogs, page errors or CSP violations for bob');
  await a.context.close();
  await b.context.close();
});
