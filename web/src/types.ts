/**
 * Shapes of the Parley API as the client sees them. The domain types are the server's own (server/store/store.ts
 * holds only types and constants, so the bundle takes nothing else from the server); client-side shapes follow.
 */
export { AVATARS, ROOM_EVENT_TYPES } from '../../server/store/store.js';
export type {
  Attachment,
  Avatar,
  Gender,
  Membership,
  PublicUser,
  Role,
  Room,
  RoomEvent,
  RoomEventType,
  RoomKind,
  User,
} from '../../server/store/store.js';
import type { Attachment, Membership, PublicUser, Room } from '../../server/store/store.js';

export interface RoomEntry extends Room {
  membership: Membership | null;
  joined: boolean;
  /** Unread messages as the server counts them (newer servers); the client counts live arrivals on top. */
  unread?: number;
  /** Direct rooms (newer servers): the other person. */
  peer?: PublicUser | null;
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
  /** The author's key for the post (absent from servers and stored events older than client keys). */
  clientId?: string | null;
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
