/**
 * The excerpt of a found message that a result shows, with the places where the query matched. It is plain text
 * plus ranges (never HTML): the client renders the ranges as marks, so nothing in a message can inject markup.
 * Shared by every store (browser-safe).
 */
import type { SearchTerm } from './query.js';
import { tokenize, type Token } from './tokens.js';

export interface Snippet {
  text: string;
  /** [start, end) UTF-16 offsets into `text`, ascending, not overlapping. */
  matches: Array<{ start: number; end: number }>;
}

const ELLIPSIS = '…';

/** Where the terms match in `tokens`: one span per occurrence of each term. */
function matchSpans(tokens: Token[], terms: SearchTerm[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const term of terms) {
    const n = term.tokens.length;
    for (let i = 0; i + n <= tokens.length; i++) {
      let ok = true;
      for (let j = 0; j < n && ok; j++) {
        const want = term.tokens[j]!;
        const got = tokens[i + j]!.text;
        ok = term.prefix && j === n - 1 ? got.startsWith(want) : got === want;
      }
      if (ok) spans.push([tokens[i]!.start, tokens[i + n - 1]!.end]);
    }
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // Overlapping spans (a word that is in two terms) become one.
  const merged: Array<[number, number]> = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/** Moves an offset off the second half of a surrogate pair. */
function safe(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff ? i - 1 : i;
}

/**
 * About `width` characters of `text` around its first match, with line breaks shown as spaces (same length, so
 * offsets hold) and an ellipsis where text was cut.
 */
export function makeSnippet(text: string, terms: SearchTerm[], width = 180): Snippet {
  const spans = matchSpans(tokenize(text), terms);
  const flat = text.replace(/[\r\n\t]/g, ' ');
  let start = 0;
  let end = flat.length;
  if (flat.length > width) {
    const first = spans[0]?.[0] ?? 0;
    // Some context before the first match, starting at a word boundary.
    start = Math.max(0, first - Math.floor(width / 4));
    if (start > 0) {
      const space = flat.lastIndexOf(' ', start);
      start = space >= 0 && first - space < width / 2 ? space + 1 : start;
    }
    end = Math.min(flat.length, start + width);
    if (end < flat.length) {
      const space = flat.indexOf(' ', end - 20);
      if (space !== -1 && space < end) end = space;
    }
    start = safe(flat, start);
    end = safe(flat, end);
  }
  const head = start > 0 ? ELLIPSIS : '';
  const tail = end < flat.length ? ELLIPSIS : '';
  const shift = head.length - start;
  const matches = spans
    .filter(([s, e]) => s >= start && e <= end)
    .map(([s, e]) => ({ start: s + shift, end: e + shift }));
  return { text: head + flat.slice(start, end).trimEnd() + tail, matches };
}
