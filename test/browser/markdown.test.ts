import { copyFileSync, mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import t from 'tap';
import { apiCall, apiUser, loginUi, newPage, screenshot, withBrowser } from './harness.js';

/**
 * Formatted messages with the real server: every construct of the Markdown subset renders as the right elements and
 * attributes, hostile input renders as text and runs nothing, and long lines scroll inside their block at phone
 * width instead of widening the page.
 */

const suite = withBrowser(t);
const SHOTS = process.env.PARLEY_SHOTS; // a folder to copy the screenshots to, when set

const PWNED = 'window.__pwned = (window.__pwned || 0) + 1';
const HOSTILE = [
  `<script>${PWNED}</script>`,
  `<img src=x onerror="${PWNED}">`,
  `[click me](javascript:${PWNED})`,
  `<javascript:${PWNED}>`,
  `[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
  `![tracker](https://example.com/pixel.png)`,
  `<a href="javascript:${PWNED}">raw anchor</a> <iframe src="https://example.com"></iframe>`,
  `<svg onload="${PWNED}"></svg><style>*{display:none}</style>`,
].join('\n\n');
const SHOWCASE = [
  'Deploy notes for **Friday**, *please* read ~~twice~~ once:',
  '> The release is frozen at noon.',
  '> Ask `#ops` before merging.',
  '',
  '- run `npm test`',
  '- tag the build',
  '  1. push the tag',
  '  2. watch CI',
  '',
  '```ts',
  'export function greet(name: string): string {',
  '  return `Hello, ${name}!`; // a comment',
  '}',
  '```',
  'Docs: [the guide](https://example.com/guide) or https://example.com/faq?q=1',
].join('\n');
const CODE_LINE = `\`\`\`\n${'const x = 1; '.repeat(250)}\n\`\`\``;
const LONG_LINE = 'w'.repeat(4000);
const DEEP = `${'> '.repeat(100)}deep`;

type Shown = Record<string, unknown>;

// Built from a string, not compiled by tsx: tsx's helpers do not exist in the page.
const DESCRIBE = new Function(
  'el',
  `
  const all = (sel) => [...el.querySelectorAll(sel)];
  return {
    tags: [...new Set(all('*').map((e) => e.tagName.toLowerCase()))].sort(),
    links: all('a').map((a) => ({
      href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel'), text: a.textContent,
    })),
    strong: all('strong').map((e) => e.textContent),
    em: all('em').map((e) => e.textContent),
    s: all('s').map((e) => e.textContent),
    code: all(':not(pre) > code').map((e) => e.textContent),
    pre: all('pre > code').map((e) => ({ cls: e.className, spans: e.querySelectorAll('span[class^="hljs-"]').length })),
    quotes: all('blockquote').length,
    ul: all('ul > li').length,
    ol: all('ol > li').length,
    attrs: [...new Set(all('*').flatMap((e) => e.getAttributeNames()))].sort(),
    text: el.textContent,
  };`,
) as (el: Element) => Shown;

/** What the message whose text contains `marker` rendered: its elements and their attributes. */
async function rendered(page: Page, marker: string): Promise<Shown> {
  const text = page.locator('parley-room-view [data-testid="message-text"]', { hasText: marker }).first();
  await text.waitFor();
  return text.evaluate(DESCRIBE);
}

t.test('the Markdown subset renders, hostile input is text and nothing runs', async (t) => {
  const { url } = suite.server;
  const ada = await apiUser(url, 'ada');
  const ben = await apiUser(url, 'ben');
  const room = (
    await apiCall(url, 'POST', '/api/rooms', { token: ada.token, body: { name: 'Markup', kind: 'public' } })
  ).body.room;
  t.equal((await apiCall(url, 'POST', `/api/rooms/${room.id}/join`, { token: ben.token })).status, 201);
  for (const text of [HOSTILE, DEEP, LONG_LINE, CODE_LINE, SHOWCASE]) {
    const posted = await apiCall(url, 'POST', `/api/rooms/${room.id}/messages`, { token: ben.token, body: { text } });
    t.equal(posted.status, 201);
    t.equal(posted.body.message.text, text, 'stored as written');
  }

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    const { page, context, problems } = await newPage(suite.browser, viewport);
    t.teardown(() => context.close());
    await loginUi(page, url, ada.username, ada.password);
    await page.goto(`${url}/rooms/${room.id}`);
    await page.locator('[data-status="live"]').waitFor();
    const size = `${viewport.width}x${viewport.height}`;

    const show = await rendered(page, 'Deploy notes');
    t.same(show.strong, ['Friday'], `${size}: bold`);
    t.same(show.em, ['please'], `${size}: italic`);
    t.same(show.s, ['twice'], `${size}: strikethrough`);
    t.same(show.code, ['#ops', 'npm test'], `${size}: inline code`);
    t.same(show.pre, [{ cls: 'language-ts', spans: (show.pre as Array<{ spans: number }>)[0]?.spans }]);
    t.ok((show.pre as Array<{ spans: number }>)[0]!.spans >= 3, `${size}: the code block is highlighted`);
    t.equal(show.quotes, 1, `${size}: a block quote`);
    t.equal(show.ul, 2, `${size}: a bulleted list`);
    t.equal(show.ol, 2, `${size}: a nested numbered list`);
    t.same(
      show.links,
      [
        {
          href: 'https://example.com/guide',
          target: '_blank',
          rel: 'noopener noreferrer nofollow ugc',
          text: 'the guide',
        },
        {
          href: 'https://example.com/faq?q=1',
          target: '_blank',
          rel: 'noopener noreferrer nofollow ugc',
          text: 'https://example.com/faq?q=1',
        },
      ],
      `${size}: a link and a bare URL, opening in a new tab without opener or referrer`,
    );

    const hostile = await rendered(page, 'click me');
    // The image and the iframe's address are plain https URLs, so they are links (not loaded); nothing else is.
    t.same(
      (hostile.links as Array<{ href: string }>).map((l) => l.href),
      ['https://example.com/pixel.png', 'https://example.com'],
      `${size}: no javascript:, data: or raw anchor became a link`,
    );
    t.same(hostile.tags, ['a', 'p'], `${size}: paragraphs and safe links only (no script, img, iframe, svg, style)`);
    t.same(hostile.attrs, ['href', 'rel', 'target'], `${size}: no other attribute (no onerror, no onload)`);
    for (const shown of ['<script>', '<img src=x onerror=', '<iframe', '<svg onload=', 'javascript:'])
      t.match(hostile.text, shown, `${size}: ${shown} is shown as text`);
    await page.locator('parley-room-view [data-testid="message-text"]', { hasText: 'click me' }).click();
    t.equal(await page.evaluate('window.__pwned'), undefined, `${size}: nothing ran`);
    t.equal(await page.locator('parley-room-view img').count(), 0, `${size}: no image was loaded`);

    const deep = await rendered(page, 'deep');
    t.equal(deep.quotes, 16, `${size}: quotes nest 16 deep at most, and the text shows`);

    // Long lines: prose wraps, a code block scrolls inside itself, and the page never scrolls sideways.
    const right = new Function('els', 'return Math.max(...els.map((e) => e.getBoundingClientRect().right))') as (
      els: Element[],
    ) => number;
    const pre = page.locator('parley-room-view pre', { hasText: 'const x = 1;' });
    const widths = {
      page: (await page.evaluate('document.documentElement.scrollWidth')) as number,
      widest: await page.locator('parley-room-view parley-message .bubble').evaluateAll(right),
      timelineRight: await page.locator('parley-room-view parley-timeline').evaluateAll(right),
      preScroll: await pre.evaluate(new Function('e', 'return e.scrollWidth') as (e: Element) => number),
      preClient: await pre.evaluate(new Function('e', 'return e.clientWidth') as (e: Element) => number),
      preOverflow: await pre.evaluate(
        new Function('e', 'return getComputedStyle(e).overflowX') as (e: Element) => string,
      ),
    };
    t.ok(widths.page <= viewport.width, `${size}: the page does not scroll sideways (${widths.page})`);
    t.ok(
      widths.widest <= widths.timelineRight + 0.5,
      `${size}: every bubble fits the timeline (${widths.widest} <= ${widths.timelineRight})`,
    );
    t.ok(widths.preScroll > widths.preClient, `${size}: the long code line scrolls inside`);
    t.equal(widths.preOverflow, 'auto');

    // The composer keeps plain typing: Shift+Enter is a new line, Enter sends; the Markdown renders once sent.
    const box = page.getByLabel(/^Message /);
    await box.pressSequentially('- typed *one*', { delay: 0 });
    await box.press('Shift+Enter');
    await box.pressSequentially(`- typed two ${size}`, { delay: 0 });
    await box.press('Enter');
    const typed = await rendered(page, `typed two ${size}`);
    t.equal(typed.ul, 2, `${size}: a typed list renders as a list`);
    t.same(typed.em, ['one']);

    await page
      .locator('parley-room-view [data-testid="message-text"]', { hasText: 'Deploy notes' })
      .scrollIntoViewIfNeeded();
    const file = await screenshot(page, `markdown-${size}`);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      copyFileSync(file, `${SHOTS}/markdown-${viewport.width < 720 ? 'phone' : 'desktop'}.png`);
    }
    t.equal(await page.evaluate('window.__pwned'), undefined, `${size}: still nothing ran`);
    t.same(problems, [], `${size}: no dialog, page error or CSP report`);
  }
});
