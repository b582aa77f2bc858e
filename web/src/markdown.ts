/**
 * Message text as HTML: the safe Markdown subset chat users expect (bold, italic, ~~strike~~, `code`, fenced code
 * blocks with highlighting, > quotes, lists, links and bare URLs). Messages are stored as written; this runs in the
 * browser only, at render time.
 *
 * Why the output may go through Lit's unsafeHTML (and why nothing else may):
 * - `html: false`: markdown-it never passes a tag through; every `<` and `&` of the source is escaped as text.
 * - Every href, from [text](url), <autolinks> or bare URLs, passes validateLink below: http(s) and mailto only, so
 *   `javascript:`, `data:`, `vbscript:` and anything else stays plain text, never a link.
 * - Images, raw HTML, headings, tables and reference definitions are switched off; the tags that remain are
 *   markdown-it's own, with attributes it escapes (the fence's language is escaped and only names a class).
 * - Highlighting output comes from highlight.js, which escapes the code it is given and adds only span classes.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import MarkdownIt from 'markdown-it';
import { mentionPlugin, type MentionMarks } from './markdown-mentions.js';

// A handful of common languages keeps the bundle small (CSS alone would add 13 KB); an unknown language shows as
// plain (escaped) code.
for (const [name, lang] of Object.entries({
  bash,
  diff,
  go,
  java,
  javascript,
  json,
  python,
  rust,
  shell,
  sql,
  typescript,
  xml,
  yaml,
})) {
  hljs.registerLanguage(name, lang);
}

/** Link targets a message may have. Anything else (javascript:, data:, file:, relative) stays text. */
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

export function isSafeHref(href: string): boolean {
  try {
    return SAFE_PROTOCOLS.has(new URL(href).protocol);
  } catch {
    return false; // relative or malformed
  }
}

/** The rel every message link carries: no opener, no referrer, no endorsement (user-generated content). */
export const LINK_REL = 'noopener noreferrer nofollow ugc';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

const md: MarkdownIt = new MarkdownIt('default', {
  html: false,
  linkify: true,
  breaks: true, // a line break in a chat message is a line break
  typographer: false,
  highlight(code, lang) {
    const name = lang.trim().toLowerCase();
    if (name && hljs.getLanguage(name)) {
      try {
        return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
      } catch {
        /* fall through to plain code */
      }
    }
    return escapeHtml(code);
  },
});

// markdown-it stops parsing (and drops) what is nested deeper than this: it bounds the DOM depth and the work a
// hostile message costs every reader. Quotes are capped lower first (MAX_QUOTE_DEPTH), so their text still shows.
// (A preset option that @types/markdown-it does not declare.)
Object.assign(md.options, { maxNesting: 40 });
md.disable(['heading', 'lheading', 'table', 'hr', 'image', 'reference', 'code', 'html_block', 'html_inline']);
md.validateLink = isSafeHref;
md.use(mentionPlugin);
// Bare URLs need a scheme or www. (`README.md` or `file.py` are not links); e-mail addresses stay text.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
md.linkify.add('www.', {
  validate(text, pos, self) {
    // linkify-it's own host and path patterns (as its http: schema uses), after the www. prefix.
    const re = new RegExp(`^${self.re.src_host_port_strict}${self.re.src_path}`, 'i');
    const tail = re.exec(text.slice(pos))?.[0] ?? '';
    return /^[^/?#:]+\.[^/?#:.]/.test(tail) ? tail.length : 0; // www.example.org, not www.intranet
  },
  normalize(match) {
    match.url = `https://${match.url}`;
  },
});

// Links open in a new tab, without opener or referrer.
md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx]!;
  token.attrSet('target', '_blank');
  token.attrSet('rel', LINK_REL);
  return self.renderToken(tokens, idx, options);
};

/** Deeper quotes are shown at this depth: `>` markers past it at the start of a line are dropped. */
const MAX_QUOTE_DEPTH = 16;
const DEEP_QUOTE = new RegExp(`^((?:[ \\t]*>){${MAX_QUOTE_DEPTH}})(?:[ \\t]*>)+`, 'gm');

/** Rendered messages, by text: a timeline re-renders its messages often, and their text rarely changes. */
const cache = new Map<string, string>();
const CACHE_SIZE = 500;

/**
 * The HTML of a message's Markdown (see the top of this file for why it is safe to insert), its `mentions` marked
 * (markdown-mentions.ts).
 */
export function renderMarkdown(text: string, mentions?: MentionMarks): string {
  const key = mentions?.size ? `${text}\u0000${[...mentions].join()}` : text;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const out = md.render(text.replace(DEEP_QUOTE, '$1'), { mentions }).trim();
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, out);
  return out;
}
