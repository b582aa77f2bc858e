import t from 'tap';
import { isSafeHref, renderMarkdown } from '../../web/src/markdown.js';

/** The web client's Markdown renderer: what each construct becomes, and that hostile input stays text. */

const REL = 'rel="noopener noreferrer nofollow ugc"';

t.test('the subset renders', async (t) => {
  t.equal(
    renderMarkdown('**b** *i* ~~s~~ `c`'),
    '<p><strong>b</strong> <em>i</em> <s>s</s> <code>c</code></p>',
    'bold, italic, strike, inline code',
  );
  t.match(
    renderMarkdown('```ts\nconst a: number = 1;\n```'),
    /^<pre><code class="language-ts"><span class="hljs-keyword">const/,
  );
  t.match(
    renderMarkdown('```nosuchlang\n<b>x</b>\n```'),
    '<pre><code class="language-nosuchlang">&lt;b&gt;x&lt;/b&gt;',
  );
  t.match(renderMarkdown('> a\n> > b'), /<blockquote>\s*<p>a<\/p>\s*<blockquote>\s*<p>b<\/p>/);
  t.match(renderMarkdown('- a\n- b'), /<ul>\s*<li>a<\/li>\s*<li>b<\/li>\s*<\/ul>/);
  t.match(renderMarkdown('1. a\n2. b'), /<ol>\s*<li>a<\/li>/);
  t.equal(renderMarkdown('one\ntwo'), '<p>one<br>\ntwo</p>', 'a line break is a line break');
  t.equal(
    renderMarkdown('[docs](https://example.com/d) and https://example.com/x?a=1. www.example.org'),
    `<p><a href="https://example.com/d" target="_blank" ${REL}>docs</a> and ` +
      `<a href="https://example.com/x?a=1" target="_blank" ${REL}>https://example.com/x?a=1</a>. ` +
      `<a href="https://www.example.org" target="_blank" ${REL}>www.example.org</a></p>`,
    'links and bare URLs open in a new tab without opener, referrer or endorsement',
  );
  t.equal(renderMarkdown('README.md file.py a@b.co www.intranet'), '<p>README.md file.py a@b.co www.intranet</p>');
  t.equal(renderMarkdown('# not a heading'), '<p># not a heading</p>', 'headings stay text');
});

t.test('hostile input stays text', async (t) => {
  const html = renderMarkdown('<script>window.x=1</script> <img src=x onerror="alert(1)"> <b>b</b>');
  t.notMatch(html, /<(script|img|b)\b/, 'no tag from the source');
  t.match(html, '&lt;script&gt;');
  for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x', 'vbscript:x', '/rel']) {
    const out = renderMarkdown(`[x](${href}) <${href}>`);
    t.notMatch(out, /<a\b/, `${href} is not a link`);
    t.notOk(isSafeHref(href));
  }
  t.notMatch(renderMarkdown('![pic](https://example.com/a.png)'), /<img/, 'images are not loaded');
  const deep = renderMarkdown(`${'>'.repeat(100)} deep`);
  t.equal((deep.match(/<blockquote>/g) ?? []).length, 16, 'quotes nest 16 deep at most');
  t.match(deep, '<p>deep</p>', 'and the text still shows');
  const long = 'x'.repeat(4000);
  t.equal(renderMarkdown(long), `<p>${long}</p>`);
});
