import { REACTION_USERS_SHOWN } from '../../../server/limits.js';
import type { Message, ReactionSummary, RoomEvent } from '../types.js';

/**
 * A message's reactions, changed by a reaction.added / reaction.removed event (pure). Pages and answers carry the
 * state as it was when read, and the stream may deliver an event that state already counts (a page read just after
 * a change, a replay after a reconnect), so a change that is already there is skipped: exactly for my own reactions
 * (`me`) and for emoji with at most REACTION_USERS_SHOWN users (the list is complete), as well as can be beyond.
 */
export function applyReaction(message: Message, e: RoomEvent, me: string | null): Message {
  const { emoji, userId } = e.payload as { emoji: string; userId: string };
  const list = message.reactions ?? [];
  const i = list.findIndex((r) => r.emoji === emoji);
  const r: ReactionSummary | undefined = list[i];
  const mine = userId === me;
  const complete = !r || r.users.length >= r.count;
  const has = r ? (mine ? r.me : r.users.includes(userId)) : false;
  let next: ReactionSummary[];
  if (e.type === 'reaction.added') {
    if (has || (mine && r?.me)) return message;
    if (!r) next = [...list, { emoji, count: 1, users: [userId], me: mine }];
    else {
      const users = r.users.length < REACTION_USERS_SHOWN ? [...r.users, userId] : r.users;
      next = list.map((x, j) => (j === i ? { ...x, count: x.count + 1, users, me: x.me || mine } : x));
    }
  } else {
    if (!r || (!has && (complete || mine))) return message;
    const left = { ...r, count: r.count - 1, users: r.users.filter((u) => u !== userId), me: mine ? false : r.me };
    next = left.count > 0 ? list.map((x, j) => (j === i ? left : x)) : list.filter((_, j) => j !== i);
  }
  return { ...message, reactions: next };
}

/** Names for "who reacted": the users' display names where known, then "and N others". */
export function reactedBy(r: ReactionSummary, nameOf: (id: string) => string | undefined): string {
  const names = r.users.map((id) => nameOf(id) ?? 'someone');
  const others = r.count - names.length;
  const list = others > 0 ? [...names, `${others} other${others === 1 ? '' : 's'}`] : names;
  const text = list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  return `${text} reacted with ${r.emoji}`;
}
