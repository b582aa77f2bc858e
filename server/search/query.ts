/**
 * The search query language, parsed without touching any store (pure and browser-safe):
 *
 * - words: every word must occur; the last bare word of a query that does not end in a space matches as a prefix
 *   (from 2 characters), so results follow typing;
 * - "quoted phrases": the words in that order, next to each other (a bare word that holds punctuation, such as
 *   `e-mail`, is a phrase too: the index sees two words);
 * - operators `from:username` (also `from:@username`), `in:roomname` (`in:"two words"`), `before:YYYY-MM-DD`,
 *   `after:YYYY-MM-DD`, case-insensitive. `before:` is before that day began, `after:` from the next day on (UTC),
 *   as Slack and Mattermost read them. Several `from:` or `in:` mean any of them.
 * - anything else (an unknown `foo:bar`, stray quotes, FTS syntax such as NEAR, *, ^, AND) is plain words: terms are
 *   lists of folded letters and digits only, so no input can reach a store as query syntax.
 */
import { words } from './tokens.js';

/** One thing every result must contain: a word (one token) or a phrase (several, adjacent). */
export interface SearchTerm {
  tokens: string[];
  /** The last token matches any word that starts with it. */
  prefix: boolean;
}

export interface ParsedQuery {
  terms: SearchTerm[];
  /** Lower-cased usernames. */
  from: string[];
  /** Room names as written. */
  in: string[];
  /** YYYY-MM-DD: messages from before this day. */
  before: string | null;
  /** YYYY-MM-DD: messages from after this day. */
  after: string | null;
}

export type ParseResult = { ok: true; query: ParsedQuery } | { ok: false; message: string };

const OPERATORS = ['from', 'in', 'before', 'after'] as const;
type Operator = (typeof OPERATORS)[number];
const OPERATOR = /^([A-Za-z]+):/;
/** The longest query accepted (characters). */
export const SEARCH_MAX_CHARS = 500;
/** A prefix shorter than this would expand to a large part of the index; such a last word matches exactly. */
export const MIN_PREFIX = 2;

/** A real calendar date written YYYY-MM-DD. */
export function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/** The day after a YYYY-MM-DD date, as YYYY-MM-DD. */
export function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

interface Chunk {
  text: string;
  quoted: boolean;
  operator?: Operator;
}

/** Splits the query into bare chunks, quoted phrases and operators with their (maybe quoted) values. */
function lex(q: string): Chunk[] {
  const chunks: Chunk[] = [];
  let i = 0;
  const quoted = (from: number): [string, number] => {
    const close = q.indexOf('"', from);
    return close === -1 ? [q.slice(from), q.length] : [q.slice(from, close), close + 1];
  };
  while (i < q.length) {
    if (/\s/.test(q[i]!)) {
      i++;
      continue;
    }
    if (q[i] === '"') {
      const [text, next] = quoted(i + 1);
      chunks.push({ text, quoted: true });
      i = next;
      continue;
    }
    const op = OPERATOR.exec(q.slice(i, i + 16));
    const name = op?.[1]!.toLowerCase() as Operator | undefined;
    if (op && name && (OPERATORS as readonly string[]).includes(name)) {
      const at = i + op[0].length;
      if (q[at] === '"') {
        const [text, next] = quoted(at + 1);
        chunks.push({ text, quoted: true, operator: name });
        i = next;
        continue;
      }
      let end = at;
      while (end < q.length && !/\s/.test(q[end]!)) end++;
      // `from:` with nothing after it is being typed, or is a word: keep it as words.
      if (end > at) {
        chunks.push({ text: q.slice(at, end), quoted: false, operator: name });
        i = end;
        continue;
      }
    }
    let end = i;
    while (end < q.length && !/\s/.test(q[end]!) && q[end] !== '"') end++;
    chunks.push({ text: q.slice(i, end), quoted: false });
    i = end;
  }
  return chunks;
}

export function parseQuery(q: string): ParseResult {
  const query: ParsedQuery = { terms: [], from: [], in: [], before: null, after: null };
  const chunks = lex(q);
  let lastBare: SearchTerm | null = null;
  for (const chunk of chunks) {
    switch (chunk.operator) {
      case 'from': {
        const name = chunk.text.trim().replace(/^@/, '').toLowerCase();
        if (name) query.from.push(name);
        continue;
      }
      case 'in': {
        const name = chunk.text.trim();
        if (name) query.in.push(name);
        continue;
      }
      case 'before':
      case 'after': {
        const date = chunk.text.trim();
        if (!isDate(date)) return { ok: false, message: `${chunk.operator}: needs a date written YYYY-MM-DD` };
        // Several of one kind: the narrowest wins.
        if (chunk.operator === 'before') query.before = query.before && query.before < date ? query.before : date;
        else query.after = query.after && query.after > date ? query.after : date;
        continue;
      }
    }
    const tokens = words(chunk.text);
    if (tokens.length === 0) continue;
    const term: SearchTerm = { tokens, prefix: false };
    query.terms.push(term);
    lastBare = chunk.quoted ? null : term;
  }
  // Prefix only for a bare word that is last and still being typed (no space after it).
  const lastTerm = query.terms[query.terms.length - 1];
  const lastChunk = chunks[chunks.length - 1];
  if (
    lastBare &&
    lastTerm === lastBare &&
    lastChunk &&
    !lastChunk.operator &&
    !/\s$/.test(q) &&
    lastBare.tokens[lastBare.tokens.length - 1]!.length >= MIN_PREFIX
  ) {
    lastBare.prefix = true;
  }
  return { ok: true, query };
}

/** Whether the query asks for anything at all (terms or operators). */
export function isEmptyQuery(query: ParsedQuery): boolean {
  return query.terms.length === 0 && query.from.length === 0 && query.in.length === 0 && !query.before && !query.after;
}
