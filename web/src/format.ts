import { html, type TemplateResult } from 'lit';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function timeOf(iso: string): string {
  return timeFmt.format(new Date(iso));
}

export function fullTime(iso: string): string {
  return fullFmt.format(new Date(iso));
}

export function dayOf(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86_400_000);
  if (d.toDateString() === today.toDateString()) return 'Today';
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return dayFmt.format(d);
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+|\bwww\.[^\s<>"'`]+/gi;

/** Safe http(s) URL for a matched link, or null. Trailing punctuation stays text. */
function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw.startsWith('www.') ? `https://${raw}` : raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Message text as Lit template parts: plain text stays text (Lit escapes it; no HTML is ever parsed) and http(s)
 * URLs become links that open in a new tab without a referrer or opener.
 */
export function linkify(text: string): Array<string | TemplateResult> {
  const parts: Array<string | TemplateResult> = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0];
    const trail = /[.,;:!?)\]}]+$/.exec(raw)?.[0] ?? '';
    // Keep a closing parenthesis that belongs to the URL, as in https://en.wikipedia.org/wiki/Foo_(bar)
    let cut = trail.length;
    if (trail.startsWith(')') && (raw.match(/\(/g)?.length ?? 0) >= (raw.match(/\)/g)?.length ?? 0))
      cut = trail.length - 1;
    raw = raw.slice(0, raw.length - cut);
    const href = safeHref(raw);
    const start = m.index ?? 0;
    if (!href) continue;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(html`<a href=${href} target="_blank" rel="noopener noreferrer nofollow ugc">${raw}</a>`);
    last = start + raw.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  const mb = n / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1).replace(/\.0$/, '') : Math.round(mb)} MB`;
}
