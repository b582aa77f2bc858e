import t from 'tap';
import { apiCall, apiUser, loginUi, newPage, screenshot, waitFor, withBrowser } from './harness.js';

/** The sidebar's lists at desktop size: public rooms to join show their names beside a normal-sized icon. */

const suite = withBrowser(t);

t.test('public rooms to join show their names and a small icon', async (t) => {
  const owner = await apiUser(suite.server.url, 'owner');
  const visitor = await apiUser(suite.server.url, 'visitor');
  for (const name of ['Book club', 'Gardening']) {
    t.equal(
      (await apiCall(suite.server.url, 'POST', '/api/rooms', { token: owner.token, body: { name, kind: 'public' } }))
        .status,
      201,
    );
  }
  const { page, context, problems } = await newPage(suite.browser, { width: 1280, height: 720 });
  t.teardown(() => context.close());
  await loginUi(page, suite.server.url, visitor.username, visitor.password);
  const rows = page.locator('parley-rooms [data-testid="public-rooms"] li');
  await waitFor('two public rooms listed', async () => (await rows.count()) === 2);
  await screenshot(page, 'public-rooms-1280x720');

  for (const [i, name] of ['Book club', 'Gardening'].entries()) {
    const row = rows.nth(i);
    const link = row.getByRole('link', { name });
    t.ok(await link.isVisible(), `${name}: the name is visible`);
    const box = await link.boundingBox();
    const fits = await link.evaluate((el) => el.scrollWidth <= el.clientWidth + 1);
    t.ok(box && box.width >= 40, `${name}: the name has room (${box?.width ?? 0} px wide)`);
    t.ok(fits, `${name}: the name is not cut off`);
    const icon = await row.locator('svg').first().boundingBox();
    t.ok(
      icon && icon.width <= 24 && icon.height <= 24,
      `${name}: the icon has its normal size (${icon?.width}x${icon?.height})`,
    );
    t.ok(await row.getByRole('button', { name: `Join ${name}` }).isVisible(), `${name}: a Join button`);
  }
  t.same(problems, []);
});
