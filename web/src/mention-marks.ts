import type { MentionMarks } from './markdown-mentions.js';
import type { Message } from './types.js';

/** Whether a message by someone else mentions me: by name, @room, or @here (which reaches me when I am online). */
export function mentionsMe(m: Message, meId: string | null): boolean {
  if (!meId || m.author.id === meId || m.deletedAt) return false;
  return (m.mentions ?? []).includes(meId) || m.mentionsRoom === true || m.mentionsHere === true;
}

/**
 * The names to mark in a message's text: the usernames of the members it mentions (as far as they are known here:
 * `usernameOf`), and room/here. Each is `me` when it reaches the reader.
 */
export function mentionMarks(
  m: Message,
  me: { id: string; username: string } | null,
  usernameOf: (id: string) => string | undefined,
): MentionMarks {
  const marks = new Map<string, 'me' | 'other'>();
  const reachesMe = me !== null && m.author.id !== me.id;
  for (const id of m.mentions ?? []) {
    const name = id === me?.id ? me.username : usernameOf(id);
    if (name) marks.set(name.toLowerCase(), id === me?.id && reachesMe ? 'me' : 'other');
  }
  if (m.mentionsRoom) marks.set('room', reachesMe ? 'me' : 'other');
  if (m.mentionsHere) marks.set('here', reachesMe ? 'me' : 'other');
  return marks;
}
