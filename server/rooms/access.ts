import { fail } from '../errors.js';
import type { Membership, Room, Store } from '../store/store.js';
import { roomRefusal, type RoomAction } from './policy.js';

/**
 * The authorization gate of every room route: loads the room and the caller's membership and lets the request on
 * only when the policy allows `action`. A room the caller may not even read answers 404 (private rooms do not
 * reveal that they exist); a readable room where the action is refused answers 403.
 */
export async function authorizeRoom(
  store: Store,
  roomId: string,
  userId: string,
  action: RoomAction,
): Promise<{ room: Room; membership: Membership | null }> {
  const room = await store.getRoom(roomId);
  if (!room) throw fail('ROOM_NOT_FOUND');
  const membership = await store.getMembership(roomId, userId);
  const refusal = roomRefusal(room, membership, action);
  if (refusal === 'FORBIDDEN') {
    throw fail('FORBIDDEN', { message: `Your role (${membership!.role}) may not do that in this room` });
  }
  if (refusal) throw fail(refusal);
  return { room, membership };
}
