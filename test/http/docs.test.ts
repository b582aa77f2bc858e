import t from 'tap';
import { newPage, waitFor, withBrowser } from '../browser/harness.js';
import { startApp } from '../helpers/app.js';

/** /docs (Swagger UI) has a Content-Security-Policy, and renders and runs requests under it without a violation. */

// The server runs in this process (quicker to start than a child); the browser is the harness's.
const suite = withBrowser(t, { server: false });

t.test('the API docs page has a CSP and works under it', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const { url } = srv;
  for (const path of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
    const res = await fetch(url + path);
    t.equal(res.status, 200, `${path} answers`);
    const csp = res.headers.get('content-security-policy') ?? '';
    t.match(csp, /default-src 'self'/, `${path} has a CSP`);
    t.match(csp, /script-src 'self'(;|$)/, `${path}: scripts only from the server itself`);
    t.match(csp, /frame-ancestors 'none'/, `${path}: not framed`);
  }

  const { page, context, problems } = await newPage(suite.browser);
  t.teardown(() => context.close());
  // Swagger UI's bundle is 1.5 MB of script: on a busy machine it takes a while to load and run.
  context.setDefaultTimeout(90_000);
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${url}/docs`);
  await page.locator('.swagger-ui .info .title', { hasText: 'Parley' }).waitFor();
  const operations = page.locator('.opblock');
  await waitFor('the operations are listed', async () => (await operations.count()) > 10, 90_000);

  // Run one request from the page: the UI fetches the API under the same policy.
  const health = page.locator('.opblock', { has: page.locator('[data-path="/api/health"]') });
  await health.locator('.opblock-summary').first().click();
  await health.getByRole('button', { name: 'Try it out' }).click();
  await health.getByRole('button', { name: 'Execute' }).click();
  await health.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor();

  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  t.same(violations, [], 'no CSP violation');
  t.same(problems, [], 'no page error and no CSP message in the console');
});
