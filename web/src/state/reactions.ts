import { REACTION_USERS_SHOWN } from '../../../server/limits.js';
import type { Message, ReactionSummary, RoomEvent } from '../types.js';

/**
 * A message's reactions, changed by a reaction.added / reaction.removed event (pure). Pages and answers carry the
 * state as it was when read, and the stream may deliver an event that state already counts (a page read just after
 * a change, a replay after a reconnect). The event carries the emoji's count after the change, so the count is set,
 * never added to: applying an event twice, or one the page already had, leaves it exact. The user list (the first
 * few) and `me` change by membership, which is idempotent too.
 */
export function applyReaction(message: Message, e: RoomEvent, me: string | null): Message {
  const { emoji, userId, count } = e.payload as { emoji: string; userId: string; count: number };
  const list = message.reactions ?? [];
  const i = list.findIndex((r) => r.emoji === emoji);
  const r: ReactionSummary | undefined = list[i];
  const mine = userId === me;
  if (e.type === 'reaction.added') {
    const users = r ? r.users : [];
    const listed = users.includes(userId) || users.length >= REACTION_USERS_SHOWN ? users : [...users, userId];
    const next = { emoji, count, users: listed, me: (r?.me ?? false) || mine };
    if (r && r.count === next.count && r.me === next.me && r.users === listed) return message;
    return { ...message, reactions: r ? list.map((x, j) => (j === i ? next : x)) : [...list, next] };
  }
  if (!r) return message;
  if (count <= 0) return { ...message, reactions: list.filter((_, j) => j !== i) };
  const left = { ...r, count, users: r.users.filter((u) => u !== userId), me: mine ? false : r.me };
  if (left.count === r.count && left.me === r.me && left.users.length === r.users.length) return message;
  return { ...message, reactions: list.map((x, j) => (j === i ? left : x)) };
}

/** Names for "who reacted": the users' display names where known, then "and N others". */
export function reactedBy(r: ReactionSummary, nameOf: (id: string) => string | undefined): string {
  const names = r.users.map((id) => nameOf(id) ?? 'someone');
  const others = r.count - names.length;
  const list = others > 0 ? [...names, `${others} other${others === 1 ? '' : 's'}`] : names;
  const text = list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  return `${text} reacted with ${r.emoji}`;
}
