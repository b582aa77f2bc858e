import { fail } from '../errors.js';
import type { Membership, Role, Room, Store } from '../store/store.js';

/** Who may do what in a room. Routes ask here; the answers depend only on the room kind and the caller's role. */

export type RoomAction =
  | 'read' // see the room, its members
  | 'post' // post messages, read history, stream
  | 'update' // rename, change topic
  | 'delete'
  | 'add-member'
  | 'moderate-messages'; // delete other people's messages

/** Role order, highest first by rank; stores sort members by it and the client asks the same rules. */
export const ROLE_RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1 };
const RANK = ROLE_RANK;

export function isAtLeast(membership: Membership | null, role: Role): boolean {
  return membership !== null && RANK[membership.role] >= RANK[role];
}

export function allows(room: Room, membership: Membership | null, action: RoomAction): boolean {
  switch (action) {
    case 'read':
      return room.kind === 'public' || membership !== null;
    case 'post':
      return membership !== null;
    case 'update':
    case 'add-member':
    case 'moderate-messages':
      return room.kind !== 'direct' && isAtLeast(membership, 'admin');
    case 'delete':
      return room.kind !== 'direct' && isAtLeast(membership, 'owner');
  }
}

/** May `actor` remove `target` from the room? Owners remove anyone but themselves; admins remove plain members. */
export function mayRemove(room: Room, actor: Membership | null, target: Membership): boolean {
  if (room.kind === 'direct' || !actor || actor.userId === target.userId) return false;
  return RANK[actor.role] > RANK[target.role] && isAtLeast(actor, 'admin');
}

/**
 * Loads the room as `userId` may see it. A room the user may not even read answers 404, so private rooms do not
 * reveal that they exist; a readable room where the action is refused answers 403.
 */
export async function roomFor(store: Store, roomId: string, userId: string, action: RoomAction): Promise<{ room: Room; membership: Membership | null }> {
  const room = await store.getRoom(roomId);
  if (!room) throw fail('ROOM_NOT_FOUND');
  const membership = await store.getMembership(roomId, userId);
  if (!allows(room, membership, 'read')) throw fail('ROOM_NOT_FOUND');
  if (!allows(room, membership, action)) {
    if (!membership) throw fail('NOT_A_MEMBER');
    throw fail('FORBIDDEN', { message: `Your role (${membership.role}) may not do that in this room` });
  }
  return { room, membership };
}
