import t from 'tap';
import type { Page } from 'playwright-core';
import { apiCall, apiUser, loginUi, newPage, screenshot, waitFor, withBrowser, type ApiUser } from './harness.js';

/**
 * A big room's members list is read a page at a time (MEMBERS_PAGE_SIZE, 500; 4 here): the panel shows the first
 * page and "Show more members", the header counts "4+", a newcomer who sorts after the rows shown waits for their
 * page, someone promoted from a page not read yet moves into the rows shown, and the @ autocomplete finds members the
 * client has not read yet by asking the server.
 */
const suite = withBrowser(t, { env: { MEMBERS_PAGE_SIZE: '4', REGISTER_MAX_PER_IP: '1000' } });

const shown = (p: Page) =>
  p
    .locator('parley-members li[data-username]')
    .evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.username));
const badge = (p: Page) => p.locator('.members-btn .badge').textContent();

t.test('the panel pages, counts "4+", and the autocomplete finds members not yet read', async (t) => {
  const url = suite.server.url;
  const owner = await apiUser(url, 'ann');
  const room = (await apiCall(url, 'POST', '/api/rooms', { token: owner.token, body: { name: 'Big', kind: 'public' } }))
    .body.room;
  const people: ApiUser[] = [];
  for (const name of ['ben', 'cid', 'dee', 'eli', 'flo', 'gus', 'hal']) {
    const u = await apiUser(url, name);
    await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: u.token });
    people.push(u);
  }

  const a = await newPage(suite.browser);
  t.teardown(() => a.context.close());
  await loginUi(a.page, url, owner.username, owner.password);
  await a.page.goto(`${url}/rooms/${room.id}`);
  await a.page.locator('[data-status="live"]').waitFor();
  await waitFor('the first page', async () => (await shown(a.page)).join() === 'ann,ben,cid,dee');
  t.equal(await badge(a.page), '4+', 'the header says there are more than the four read');

  // A newcomer sorting after the rows shown comes with their page; one sorting before shows at once.
  const zed = await apiUser(url, 'zed');
  await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: zed.token });
  const abe = await apiUser(url, 'abe');
  await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: abe.token });
  await waitFor('abe to appear in place', async () => (await shown(a.page)).join() === 'ann,abe,ben,cid,dee');
  t.pass('abe is shown in order; zed is not yet (after the rows read)');

  // gus is on a page not read yet; made an admin, he sorts right after the owner, among the rows shown.
  const gus = people.find((p) => p.username === 'gus')!;
  await apiCall(url, 'PATCH', `/api/rooms/${room.id}/members/${gus.id}`, {
    token: owner.token,
    body: { role: 'admin' },
  });
  await waitFor(
    'gus to appear among the admins',
    async () => (await shown(a.page)).join() === 'ann,gus,abe,ben,cid,dee',
  );
  t.pass('a member promoted from an unread page moves into the rows shown');

  // The autocomplete finds hal, who is on no page read yet.
  const box = a.page.getByLabel(/^Message /);
  await box.pressSequentially('hi @ha', { delay: 0 });
  const picker = a.page.locator('[data-testid="mention-picker"]');
  await picker.locator('li[data-name="hal"]').waitFor();
  t.pass('the server found hal for the autocomplete');
  await box.press('Escape');
  await screenshot(a.page, 'members-pages-first');

  const more = a.page.getByTestId('more-members');
  for (let i = 0; i < 5 && (await more.count()) > 0; i++) {
    await more.click();
    await waitFor('the next page', async () => (await shown(a.page)).length > 6 + i * 4 || (await more.count()) === 0);
  }
  await waitFor('every page', async () => (await more.count()) === 0);
  t.same(
    await shown(a.page),
    ['ann', 'gus', 'abe', 'ben', 'cid', 'dee', 'eli', 'flo', 'hal', 'zed'],
    'every member once, in order (gus with the admins), zed with the last page',
  );
  t.equal(await badge(a.page), '10', 'the whole list: the count has no +');
  await screenshot(a.page, 'members-pages-all');
  t.same(a.problems, []);
});
