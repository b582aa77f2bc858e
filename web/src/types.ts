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
  Pin,
  NotifyLevel,
  PublicUser,
  ReplyRef,
  ReactionSummary,
  Role,
  Room,
  RoomEvent,
  RoomEventType,
  RoomKind,
  ThreadSummary,
  User,
} from '../../server/store/store.js';
import type {
  Member as StoredMember,
  Membership,
  Message as StoredMessage,
  PublicUser,
  ReactionSummary,
  Room,
} from '../../server/store/store.js';

/** A message as the client holds it: with its reactions as the API shows them to me (stream copies lack them). */
export interface Message extends StoredMessage {
  reactions?: ReactionSummary[];
}

/** A room as GET /api/rooms lists it: with my membership, my unread count and (direct rooms) the other person. */
export interface RoomEntry extends Room {
  membership: Membership | null;
  joined: boolean;
  /** Unread messages as the server counts them; the client counts live arrivals on top. */
  unread: number;
  /** Of those, the ones that mention me (@me, @room, @here). */
  unreadMentions: number;
  /** Direct rooms: the other person. */
  peer: PublicUser | null;
}

export type { PresenceEntry, PresenceEvent } from '../../server/realtime/presence-event.js';

export interface Member extends StoredMember {
  online: boolean;
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

/** An ephemeral `membership` event: my notification settings for a room changed (in this tab or another). */
export interface MembershipNotice {
  roomId: string;
  membership: Membership;
}

/** An ephemeral `receipt` event: the room's delivery and read watermarks. */
export interface ReceiptMarks {
  roomId: string;
  deliveredSeq: number;
  readSeq: number;
}
