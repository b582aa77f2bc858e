import t from 'tap';
import type { Page } from 'playwright-core';
import { apiCall, apiUser, loginUi, newPage, screenshot, withBrowser } from './harness.js';

/**
 * People: online dots going on and off, ✓ / ✓✓ / blue ✓✓, a direct conversation opened from the members
 * panel (and appearing live for the other person), profile changes (with password errors) reaching the other member
 * live, and activity lines that survive a reload (from the room's log). The server forgets a closed stream's user
 * after PRESENCE_GRACE_MS, shortened here to keep the test fast.
 */

const suite = withBrowser(t, { env: { PRESENCE_GRACE_MS: '500' } });

const composer = (p: Page) => p.getByLabel(/^Message /);
const dot = (p: Page, username: string, online: boolean) =>
  p.locator(`parley-members li[data-username="${username}"] .dot[data-online="${online}"]`);
const receipt = (p: Page, text: string) =>
  p.locator('parley-room-view .msg.mine', { hasText: text }).locator('[data-receipt]');

async function send(p: Page, text: string): Promise<void> {
  await composer(p).fill(text);
  await composer(p).press('Enter');
  await p.locator('parley-room-view .msg.mine[data-status="sent"]', { hasText: text }).waitFor();
}

t.test('presence, receipts, direct messages, profiles and the activity log', async (t) => {
  const carl = await apiUser(suite.server.url, 'carl');
  const dana = await apiUser(suite.server.url, 'dana');
  const team = (
    await apiCall(suite.server.url, 'POST', '/api/rooms', { token: carl.token, body: { name: 'Team', kind: 'public' } })
  ).body.room;
  const other = (
    await apiCall(suite.server.url, 'POST', '/api/rooms', {
      token: carl.token,
      body: { name: 'Elsewhere', kind: 'public' },
    })
  ).body.room;
  for (const r of [team, other])
    await apiCall(suite.server.url, 'POST', `/api/rooms/${r.id}/join`, { token: dana.token });

  const c = await newPage(suite.browser);
  await loginUi(c.page, suite.server.url, carl.username, carl.password);
  await c.page.goto(`${suite.server.url}/rooms/${team.id}`);
  await c.page.locator('[data-status="live"]').waitFor();

  // Dana is not signed in anywhere: offline, and Carl's message is stored (✓) but not delivered.
  await dot(c.page, 'dana', false).waitFor();
  await send(c.page, 'Anyone there?');
  t.equal(
    await receipt(c.page, 'Anyone there?').getAttribute('data-receipt'),
    'sent',
    'one tick while the other member has no stream',
  );
  t.equal(await receipt(c.page, 'Anyone there?').textContent(), '✓');

  // Dana signs in on her phone, in another room: online; a new message reaches her stream (✓✓, not blue).
  const d = await newPage(suite.browser, { width: 390, height: 844 });
  await loginUi(d.page, suite.server.url, dana.username, dana.password);
  await d.page.goto(`${suite.server.url}/rooms/${other.id}`);
  await d.page.locator('[data-status="live"]').waitFor();
  await dot(c.page, 'dana', true).waitFor();
  t.pass('the online dot goes on when the other member connects');
  await send(c.page, 'Still there?');
  await receipt(c.page, 'Still there?').and(c.page.locator('[data-receipt="delivered"]')).waitFor();
  t.equal(await receipt(c.page, 'Still there?').textContent(), '✓✓', 'two ticks once her stream has it');
  t.notOk(
    await receipt(c.page, 'Still there?').evaluate((el) => el.classList.contains('read')),
    'not blue before she reads it',
  );
  // She opens the room and reads it: blue ticks (on both messages).
  await d.page.goto(`${suite.server.url}/rooms/${team.id}`);
  await d.page.locator('parley-room-view .msg.theirs', { hasText: 'Still there?' }).waitFor();
  for (const text of ['Anyone there?', 'Still there?'])
    await receipt(c.page, text).and(c.page.locator('[data-receipt="read"]')).waitFor();
  t.equal(
    await receipt(c.page, 'Still there?').evaluate((el) => getComputedStyle(el).color),
    'rgb(37, 99, 235)',
    'blue ticks once she has read them',
  );

  // Carl opens a direct conversation from the members panel.
  await c.page.getByRole('button', { name: /^dana, online: open direct messages/ }).click();
  await c.page.waitForURL((url) => /^\/rooms\/[\w-]+$/.test(url.pathname) && !url.pathname.endsWith(team.id));
  const dmId = c.page.url().split('/').pop()!;
  await c.page.locator('[data-testid="room-title"]', { hasText: 'dana' }).waitFor();
  const carlDirect = c.page.locator('parley-rooms [data-testid="direct-rooms"]');
  await carlDirect.locator(`a[data-room-id="${dmId}"]`, { hasText: 'dana' }).waitFor();
  t.ok(
    await c.page.locator('parley-rooms').getByRole('heading', { name: 'Direct messages' }).isVisible(),
    'listed under "Direct messages"',
  );
  t.equal(
    await c.page.locator('parley-rooms [data-testid="my-rooms"]').locator(`a[data-room-id="${dmId}"]`).count(),
    0,
    'not among the group rooms',
  );
  await send(c.page, 'Psst, Dana');

  // Dana sees it appear live, with an unread count, opens it from her rooms drawer and replies.
  const danaDm = d.page.locator(`parley-rooms [data-testid="direct-rooms"] a[data-room-id="${dmId}"]`, {
    hasText: 'carl',
  });
  await danaDm.locator('[data-testid="unread"]', { hasText: '1' }).waitFor({ state: 'attached' });
  t.pass('the conversation appears live for the other person, with an unread count');
  await d.page.getByRole('button', { name: /^Rooms/ }).click();
  await danaDm.click();
  await d.page.waitForURL(`**/rooms/${dmId}`);
  await d.page.locator('parley-room-view .msg.theirs', { hasText: 'Psst, Dana' }).waitFor();
  await send(d.page, 'Hi Carl, what is up?');
  await c.page.locator('parley-room-view .msg.theirs', { hasText: 'Hi Carl, what is up?' }).waitFor();
  t.pass('she can reply, and he sees it live');
  await receipt(c.page, 'Psst, Dana').and(c.page.locator('[data-receipt="read"]')).waitFor();
  await screenshot(c.page, 'dm-1280x800');
  await screenshot(d.page, 'dm-390x844');

  // The same person again: the same conversation (the server answers 200 with the existing room).
  await c.page.locator(`parley-rooms a[data-room-id="${team.id}"]`).click();
  await c.page.waitForURL(`**/rooms/${team.id}`);
  const again = c.page.waitForResponse((r) => r.url().endsWith('/api/dms'));
  await c.page.getByRole('button', { name: /^dana, online: open direct messages/ }).click();
  t.equal((await again).status(), 200, 'the second time, the existing conversation');
  await c.page.waitForURL(`**/rooms/${dmId}`);
  t.equal(await carlDirect.locator('a').count(), 1, 'still one direct conversation');

  // Dana edits her profile: a wrong current password and a weak new one are explained next to their fields.
  await d.page.getByRole('button', { name: /^Rooms/ }).click();
  await d.page.getByRole('button', { name: 'Edit profile' }).click();
  const profile = d.page.getByRole('dialog', { name: 'Your profile' });
  await profile.waitFor();
  await profile.getByLabel('Current password').fill('not my password at all');
  await profile.getByLabel('New password').fill('a much better passphrase 2024');
  await profile.getByRole('button', { name: 'Save' }).click();
  await profile.locator('[data-error-for="currentPassword"]', { hasText: 'not your current password' }).waitFor();
  t.equal(
    await profile.getByLabel('Current password').getAttribute('aria-invalid'),
    'true',
    'wrong current password marked',
  );
  await profile.getByLabel('Current password').fill(dana.password);
  await profile.getByLabel('New password').fill('password123');
  await profile.getByRole('button', { name: 'Save' }).click();
  await profile.locator('[data-error-for="newPassword"]', { hasText: /password/i }).waitFor();
  t.equal(await profile.getByLabel('New password').getAttribute('aria-invalid'), 'true', 'weak new password explained');
  await screenshot(d.page, 'profile-errors-390x844');

  const newPassword = 'lantern orchard quietly 93 marbles';
  await profile.getByLabel('Display name').fill('Dana Scully');
  await profile.getByRole('radio', { name: 'Owl' }).check();
  await profile.getByLabel('Gender', { exact: true }).selectOption('female');
  await profile.getByLabel('New password').fill(newPassword);
  await screenshot(d.page, 'profile-390x844');
  await profile.getByRole('button', { name: 'Save' }).click();
  await profile.waitFor({ state: 'hidden' });
  await d.page.getByText('Password changed').waitFor();
  const login = await apiCall(suite.server.url, 'POST', '/api/auth/login', {
    body: { login: 'dana', password: newPassword },
  });
  t.equal(login.status, 200, 'the new password works');

  // Carl sees the new name live: conversation title, room list, members panel and the timeline.
  await c.page.locator('[data-testid="room-title"]', { hasText: 'Dana Scully' }).waitFor();
  await carlDirect.locator(`a[data-room-id="${dmId}"]`, { hasText: 'Dana Scully' }).waitFor();
  await c.page.locator('parley-members li[data-username="dana"] strong', { hasText: 'Dana Scully' }).waitFor();
  await c.page.locator('parley-room-view .msg.theirs .meta strong', { hasText: 'Dana Scully' }).waitFor();
  t.pass('a profile change reaches the other member live');

  // Activity lines come back after a reload (from the room log), live ones included.
  await apiCall(suite.server.url, 'PATCH', `/api/rooms/${team.id}`, { token: carl.token, body: { name: 'Team A' } });
  await c.page.locator(`parley-rooms a[data-room-id="${team.id}"]`, { hasText: 'Team A' }).click();
  await c.page.waitForURL(`**/rooms/${team.id}`);
  const activity = c.page.locator('parley-room-view [data-testid="activity"]');
  await activity.filter({ hasText: 'carl renamed the room to “Team A”' }).waitFor();
  await c.page.reload();
  await c.page.locator('parley-room-view .msg.mine', { hasText: 'Anyone there?' }).waitFor();
  await activity.filter({ hasText: 'carl renamed the room to “Team A”' }).waitFor();
  await activity.filter({ hasText: /^Dana Scully joined/ }).waitFor();
  t.pass('join and rename lines survive a reload');
  const order = await c.page
    .locator('parley-room-view [data-testid="activity"], parley-room-view .msg')
    .evaluateAll((els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 24)));
  t.match(order[0], /^carl joined/, 'the owner joining comes first');
  t.match(order[order.length - 1], /renamed the room/, 'the rename comes after the messages');

  // Carl's own profile dialog (desktop screenshot), then Dana leaves: her dot goes off after the grace period.
  await c.page.getByRole('button', { name: 'Edit profile' }).click();
  await c.page.getByRole('dialog', { name: 'Your profile' }).waitFor();
  await screenshot(c.page, 'profile-1280x800');
  await c.page.keyboard.press('Escape');
  await dot(c.page, 'dana', true).waitFor();
  const problemsD = [...d.problems];
  await d.context.close();
  await dot(c.page, 'dana', false).waitFor();
  t.pass('the online dot goes off when the other member is gone');

  t.same(c.problems, [], 'no dialogs, page errors or CSP violations for carl');
  t.same(problemsD, [], 'no dialogs, page errors or CSP violations for dana');
  await c.context.close();
});
