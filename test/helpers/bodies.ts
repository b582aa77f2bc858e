/**
 * Response bodies as tests read them: the entities are inferred from the server's zod schemas (what the server
 * serializes), the envelopes mirror the routes' `response` schemas. Pass one to `api<...>()`.
 */
import type { z } from 'zod';
import type {
  AttachmentSchema,
  ErrorSchema,
  MemberSchema,
  MembershipSchema,
  MessageSchema,
  PublicUserSchema,
  RoomEventSchema,
  RoomListEntrySchema,
  RoomSchema,
  UserSchema,
} from '../../server/schemas.js';

export type PublicUser = z.output<typeof PublicUserSchema>;
export type User = z.output<typeof UserSchema>;
export type Room = z.output<typeof RoomSchema>;
export type RoomListEntry = z.output<typeof RoomListEntrySchema>;
export type Membership = z.output<typeof MembershipSchema>;
export type Member = z.output<typeof MemberSchema>;
export type Attachment = z.output<typeof AttachmentSchema>;
export type Message = z.output<typeof MessageSchema>;
export type RoomEvent = z.output<typeof RoomEventSchema>;

/** Every error response: `{ error: { code, message, details? } }`. */
export type ErrorBody = z.output<typeof ErrorSchema>;

export interface UserBody {
  user: User;
}
export interface TokenGrantBody {
  accessToken: string;
  expiresAt: string;
}
export interface LoginBody extends TokenGrantBody {
  user: User;
}
export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}
export interface NewApiTokenBody extends ApiToken {
  token: string;
}
export interface ApiTokensBody {
  tokens: ApiToken[];
}
export interface RoomBody {
  room: Room;
}
export interface RoomsBody {
  rooms: RoomListEntry[];
  publicCursor: string | null;
}
export interface MembershipBody {
  membership: Membership;
}
export interface MemberBody {
  member: Member;
}
export interface MembersBody {
  members: (Member & { online: boolean })[];
}
export interface MessageBody {
  message: Message;
}
export interface MessagesBody {
  messages: Message[];
}
export interface UploadBody {
  upload: Attachment;
}
export interface ReadBody {
  readSeq: number;
  deliveredSeq: number;
}
export interface ReceiptsBody {
  seq: number;
  counts: { delivered: number; read: number; pending: number };
  deliveredTo: PublicUser[];
  readBy: PublicUser[];
  pending: PublicUser[];
}
export interface LogBody {
  events: RoomEvent[];
}
export interface HealthBody {
  status: string;
  store: string;
  feed: string;
  streams: number;
}
export interface ErrorDetail {
  path: string;
  message: string;
}
/** An error that names the fields at fault (validation, a weak password). */
export interface FieldErrorBody {
  error: ErrorBody['error'] & { details: ErrorDetail[] };
}
