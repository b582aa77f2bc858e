/**
 * The `@name` being typed at the caret of a text box, if any: the autocomplete's query. An `@` counts where the
 * server's parser would start a mention (server/messages/mentions.ts): at the start or after a character that is not
 * a letter, digit or one of `_ . - @`.
 */
export interface MentionQuery {
  /** Index of the `@`. */
  start: number;
  /** The text typed after it, lower-cased. */
  query: string;
}

export function mentionAt(text: string, caret: number): MentionQuery | null {
  const before = text.slice(0, caret);
  const m = /(^|[^A-Za-z0-9_.\-@])@([A-Za-z0-9_.-]{0,32})$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() };
}

/** One choice of the autocomplete: a member, or @room / @here. */
export interface MentionChoice {
  name: string;
  label: string;
  detail: string;
}

/** Members (and the specials) matching a query: names that start with it first, then those that contain it. */
export function mentionChoices(
  members: ReadonlyArray<{ username: string; displayName: string; online?: boolean }>,
  query: string,
  meUsername: string | null,
  limit = 8,
): MentionChoice[] {
  const all: MentionChoice[] = [
    ...members
      .filter((m) => m.username !== meUsername)
      .map((m) => ({ name: m.username, label: m.displayName, detail: `@${m.username}` })),
    { name: 'here', label: '@here', detail: 'everyone online' },
    { name: 'room', label: '@room', detail: 'everyone in the room' },
  ];
  const rank = (c: MentionChoice) => {
    const name = c.name.toLowerCase();
    const label = c.label.toLowerCase();
    if (name.startsWith(query) || label.startsWith(query)) return 0;
    if (name.includes(query) || label.includes(query)) return 1;
    return -1;
  };
  return all
    .map((c) => ({ c, r: rank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r)
    .slice(0, limit)
    .map((x) => x.c);
}
