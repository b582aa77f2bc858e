import type { ErrorCode } from '../errors/catalogue.js';
import type { Membership, Role, Room } from '../store/store.js';

/**
 * Who may do what in a room: the one place the rules are written. The answers depend only on the room's kind, the
 * caller's membership (null for someone who is not in the room) and, for some questions, the other member or the
 * message concerned. The server asks here before it acts and the web client asks the same questions to decide what
 * to offer, so this module is pure and imports only types: it must stay loadable in the browser.
 */

/** What the rules need of a room. */
export type RoomRef = Pick<Room, 'kind'>;
/** What the rules need of a member: who it is and its role. Null means "not a member". */
export type MemberRef = Pick<Membership, 'userId' | 'role'>;
/** What the rules need of a message. */
export interface MessageRef {
  author: { id: string };
  deletedAt?: string | null;
}

/** A refusal is a catalogued error code (the server throws it; the client can show its message). */
type Codes<C extends ErrorCode> = C;
export type RoomRefusal = Codes<'ROOM_NOT_FOUND' | 'NOT_A_MEMBER' | 'FORBIDDEN'>;
export type LeaveRefusal = Codes<'NOT_A_MEMBER' | 'DIRECT_ROOM' | 'OWNER_CANNOT_LEAVE'>;

export type RoomAction =
  | 'read' // see the room and its members
  | 'join' // become a member on one's own
  | 'post' // post messages, read history, stream, upload
  | 'update' // rename, change topic
  | 'delete'
  | 'add-member'
  | 'moderate-messages'; // delete other people's messages

/** Role order, highest first by rank; stores sort members by it and the client asks the same rules. */
export const ROLE_RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

export function isAtLeast(member: MemberRef | null, role: Role): boolean {
  return member !== null && ROLE_RANK[member.role] >= ROLE_RANK[role];
}

export function allows(room: RoomRef, member: MemberRef | null, action: RoomAction): boolean {
  switch (action) {
    case 'read':
      return room.kind === 'public' || member !== null;
    case 'join':
      return room.kind === 'public';
    case 'post':
      return member !== null;
    case 'update':
    case 'add-member':
    case 'moderate-messages':
      return room.kind !== 'direct' && isAtLeast(member, 'admin');
    case 'delete':
      return room.kind !== 'direct' && isAtLeast(member, 'owner');
  }
}

/**
 * Why `action` is refused, or null when allowed. A room the caller may not even read is "not found", so private
 * rooms do not reveal that they exist; a readable room answers "join first" to strangers and "forbidden" to members.
 */
export function roomRefusal(room: RoomRef, member: MemberRef | null, action: RoomAction): RoomRefusal | null {
  if (!allows(room, member, 'read')) return 'ROOM_NOT_FOUND';
  if (allows(room, member, action)) return null;
  return member ? 'FORBIDDEN' : 'NOT_A_MEMBER';
}

/** Why the member may not leave the room, or null when it may. The owner hands the room over (or deletes it) first. */
export function leaveRefusal(room: RoomRef, member: MemberRef | null): LeaveRefusal | null {
  if (!member) return 'NOT_A_MEMBER';
  if (room.kind === 'direct') return 'DIRECT_ROOM';
  if (member.role === 'owner') return 'OWNER_CANNOT_LEAVE';
  return null;
}

export function mayLeave(room: RoomRef, member: MemberRef | null): boolean {
  return leaveRefusal(room, member) === null;
}

/** May `actor` change roles in the room at all? Only the owner (making someone else owner hands the room over). */
export function mayChangeRoles(room: RoomRef, actor: MemberRef | null): boolean {
  return room.kind !== 'direct' && isAtLeast(actor, 'owner');
}

/** May `actor` change the role of `target`? Not its own: the owner steps down by making someone else owner. */
export function mayChangeRoleOf(room: RoomRef, actor: MemberRef | null, target: MemberRef): boolean {
  return mayChangeRoles(room, actor) && actor!.userId !== target.userId;
}

/** May `actor` remove anyone from the room? Owners and admins do (whom: `mayRemove`). */
export function mayRemoveMembers(room: RoomRef, actor: MemberRef | null): boolean {
  return room.kind !== 'direct' && isAtLeast(actor, 'admin');
}

/** May `actor` remove `target`? Owners remove anyone but themselves; admins remove plain members. */
export function mayRemove(room: RoomRef, actor: MemberRef | null, target: MemberRef): boolean {
  if (!mayRemoveMembers(room, actor) || actor!.userId === target.userId) return false;
  return ROLE_RANK[actor!.role] > ROLE_RANK[target.role];
}

/** May `actor` edit the message? Only its author, while a member, and not once it is deleted. */
export function mayEditMessage(room: RoomRef, actor: MemberRef | null, message: MessageRef): boolean {
  return allows(room, actor, 'post') && !message.deletedAt && message.author.id === actor!.userId;
}

/** May `actor` delete the message? Its author, or the room's owner or an admin. */
export function mayDeleteMessage(room: RoomRef, actor: MemberRef | null, message: MessageRef): boolean {
  if (!allows(room, actor, 'post') || message.deletedAt) return false;
  return message.author.id === actor!.userId || allows(room, actor, 'moderate-messages');
}

/** May `actor` pin and unpin messages? The owner and admins; in a direct conversation, both people. */
export function mayPin(room: RoomRef, actor: MemberRef | null): boolean {
  if (!allows(room, actor, 'post')) return false;
  return room.kind === 'direct' || isAtLeast(actor, 'admin');
}
