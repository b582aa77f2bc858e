/** Shapes of the Parley API as the client sees them (mirrors server/schemas.ts). */

export type Gender = 'female' | 'male' | 'other' | 'unspecified';
export const AVATARS = ['fox', 'owl', 'cat', 'bear', 'panda', 'koala', 'tiger', 'frog', 'whale', 'robot'] as const;
export type Avatar = (typeof AVATARS)[number];
export type Role = 'owner' | 'admin' | 'member';
export type RoomKind = 'public' | 'private' | 'direct';

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  gender: Gender;
  avatar: Avatar | null;
}

export interface User extends PublicUser {
  email: string;
  createdAt: string;
  updatedAt: string;
}

export interface Room {
  id: string;
  name: string;
  topic: string;
  kind: RoomKind;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
}

export interface Membership {
  roomId: string;
  userId: string;
  role: Role;
  joinedAt: string;
  deliveredSeq: number;
  readSeq: number;
}

export interface RoomEntry extends Room {
  membership: Membership | null;
  joined: boolean;
  /** Unread messages as the server counts them (newer servers); the client counts live arrivals on top. */
  unread?: number;
  /** Direct rooms (newer servers): the other person. */
  peer?: PublicUser | null;
}

/** An image attached to a message (newer servers; older ones send bare ids). */
export interface Attachment {
  id: string;
  mediaType: string;
  size: number;
  width: number;
  height: number;
}

/** An ephemeral `presence` event (no id, not stored). */
export interface PresenceChange {
  roomId: string;
  user: PublicUser;
  online: boolean;
}

export interface Member extends Membership {
  user: PublicUser;
  online: boolean;
}

export interface Message {
  roomId: string;
  seq: number;
  author: PublicUser;
  text: string | null;
  attachments: Array<Attachment | string>;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

export const ROOM_EVENT_TYPES = [
  'message.created',
  'message.edited',
  'message.deleted',
  'member.joined',
  'member.left',
  'member.role',
  'member.updated',
  'room.updated',
  'room.deleted',
] as const;
export type RoomEventType = (typeof ROOM_EVENT_TYPES)[number];

export interface RoomEvent {
  roomId: string;
  seq: number;
  type: RoomEventType;
  actor: PublicUser | null;
  at: string;
  payload: Record<string, unknown>;
}

export interface FieldError {
  path: string;
  message: string;
}

/** An ephemeral `typing` event: someone else is typing in a room. */
export interface TypingNotice {
  roomId: string;
  user: PublicUser;
  expiresInMs: number;
}

/** An ephemeral `receipt` event: the room's delivery and read watermarks. */
export interface ReceiptMarks {
  roomId: string;
  deliveredSeq: number;
  readSeq: number;
}
