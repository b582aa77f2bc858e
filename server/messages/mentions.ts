/**
 * Mentions in message text: `@username`, `@room` (every member) and `@here` (every member online when it is sent).
 * Pure and browser-safe: the server resolves mentions when a message is stored or edited, and the web client uses
 * the same tokens to highlight them, so both agree on what counts.
 *
 * Rules (what Slack, Mattermost and Zulip users expect):
 * - an `@` starts a mention only at the start of the text or after a character that is not a letter, digit or one of
 *   `_ . - @` (so `bob@example.com` is not one);
 * - names are case-insensitive; a trailing `.` or `-` is punctuation unless the name with it is a member's
 *   (`thanks @alice.` mentions alice);
 * - nothing inside inline code (`` `@alice` ``) or a fenced code block counts.
 */

export const ROOM_MENTION = 'room';
export const HERE_MENTION = 'here';

/** One `@name` in the text: `start` is the index of the `@`, `end` is past the longest name it could be. */
export interface MentionToken {
  start: number;
  end: number;
  /** Lower-cased, without the `@`. */
  name: string;
}

export interface ResolvedMentions {
  /** Ids of the members named with `@username` (in order of first appearance, each once). */
  mentions: string[];
  mentionsRoom: boolean;
  mentionsHere: boolean;
}

const NAME = /[A-Za-z0-9_.-]/;
const BEFORE_AT = /[A-Za-z0-9_.\-@]/;

/** Ranges [start, end) of code: fenced blocks (``` or ~~~ lines) and inline code spans. */
export function codeRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  // Fenced blocks first: a fence line opens a block that the next fence line of the same kind (or the end) closes.
  const fence = /^ {0,3}(`{3,}|~{3,})[^\n]*$/gm;
  let open: { at: number; marker: string } | null = null;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const marker = m[1]!;
    if (!open) open = { at: m.index, marker };
    else if (marker[0] === open.marker[0] && marker.length >= open.marker.length && m[0].trim() === marker) {
      ranges.push([open.at, m.index + m[0].length]);
      open = null;
    }
  }
  if (open) ranges.push([open.at, text.length]);
  // Inline spans outside the blocks: a run of N backticks up to the next run of exactly N.
  const inBlock = (i: number) => ranges.some(([s, e]) => i >= s && i < e);
  const spans: Array<[number, number]> = [];
  const ticks = /`+/g;
  for (let m = ticks.exec(text); m; m = ticks.exec(text)) {
    if (inBlock(m.index)) continue;
    const run = m[0];
    const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
    close.lastIndex = m.index + run.length;
    const end = close.exec(text);
    if (!end || inBlock(end.index)) continue; // an unmatched run is literal text
    spans.push([m.index, end.index + run.length]);
    ticks.lastIndex = end.index + run.length;
  }
  return [...ranges, ...spans].sort((a, b) => a[0] - b[0]);
}

/** Every `@name` in the text outside code, in order. */
export function mentionTokens(text: string): MentionToken[] {
  const code = codeRanges(text);
  const tokens: MentionToken[] = [];
  for (let i = text.indexOf('@'); i !== -1; i = text.indexOf('@', i + 1)) {
    if (i > 0 && BEFORE_AT.test(text[i - 1]!)) continue;
    if (code.some(([s, e]) => i >= s && i < e)) continue;
    let end = i + 1;
    while (end < text.length && NAME.test(text[end]!)) end++;
    if (end === i + 1) continue;
    tokens.push({ start: i, end, name: text.slice(i + 1, end).toLowerCase() });
  }
  return tokens;
}

/**
 * What a token names among `known` (lower-cased names): the whole name, else the name without trailing `.`/`-`
 * (punctuation after a mention). Returns the matched name and its length in the text, or null.
 */
export function matchToken(
  token: MentionToken,
  known: (name: string) => boolean,
): { name: string; end: number } | null {
  let name = token.name;
  for (;;) {
    if (known(name)) return { name, end: token.start + 1 + name.length };
    const trimmed = name.replace(/[.-]$/, '');
    if (trimmed === name || trimmed.length === 0) return null;
    name = trimmed;
  }
}

const isSpecial = (name: string) => name === ROOM_MENTION || name === HERE_MENTION;

/**
 * The mentions of `text` among the room's members (`@room`/`@here` are flags; the author naming themselves counts
 * as no one). Unknown names and non-members are plain text.
 */
export function resolveMentions(
  text: string | null,
  members: ReadonlyArray<{ id: string; username: string }>,
  authorId: string,
): ResolvedMentions {
  const out: ResolvedMentions = { mentions: [], mentionsRoom: false, mentionsHere: false };
  if (!text) return out;
  const byName = new Map(members.map((m) => [m.username.toLowerCase(), m.id]));
  for (const token of mentionTokens(text)) {
    const hit = matchToken(token, (name) => isSpecial(name) || byName.has(name));
    if (!hit) continue;
    if (hit.name === ROOM_MENTION) out.mentionsRoom = true;
    else if (hit.name === HERE_MENTION) out.mentionsHere = true;
    else {
      const id = byName.get(hit.name)!;
      if (id !== authorId && !out.mentions.includes(id)) out.mentions.push(id);
    }
  }
  return out;
}

/** Whether a message written with `@` could mention anyone (skips the member lookup for most messages). */
export function mayMention(text: string | null): boolean {
  return text !== null && text.includes('@');
}

/**
 * Who a message notifies as a mention: the named members, every member for `@room`, and for `@here` the members in
 * `online` (when it was sent). Never the author.
 */
export function mentionRecipients(
  resolved: ResolvedMentions,
  memberIds: readonly string[],
  online: ReadonlySet<string>,
  authorId: string,
): Map<string, { here: boolean }> {
  const out = new Map<string, { here: boolean }>();
  const add = (id: string, here: boolean) => {
    if (id === authorId) return;
    const prev = out.get(id);
    out.set(id, { here: here || (prev?.here ?? false) });
  };
  for (const id of resolved.mentions) add(id, false);
  if (resolved.mentionsRoom) for (const id of memberIds) add(id, false);
  if (resolved.mentionsHere) for (const id of memberIds) if (online.has(id)) add(id, true);
  return out;
}
