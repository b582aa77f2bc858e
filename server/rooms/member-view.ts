import type { Membership } from '../store/store.js';

/**
 * A member as `viewerId` may see them: how someone is notified, and whether they muted the room, is theirs alone, so
 * the others get the entry without `notify` and `muted`.
 */
export function memberAsSeenBy<M extends Membership>(viewerId: string, member: M): M | Omit<M, 'notify' | 'muted'> {
  if (member.userId === viewerId) return member;
  const { notify: _notify, muted: _muted, ...shared } = member;
  return shared;
}
