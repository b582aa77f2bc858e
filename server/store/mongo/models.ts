import { Schema, type Connection } from 'mongoose';
import { AVATARS, CURSOR_BASE_TTL_MS, GENDERS, NOTIFY_LEVELS, ROLES, ROOM_EVENT_TYPES, ROOM_KINDS } from '../store.js';
import { SIGNAL_TYPES } from '../store.js';
import { pinSchema, reactionSchema, type PinDoc, type ReactionDoc } from './reaction-models.js';
import type { Attachment, Avatar, Gender, NotifyLevel, PublicUser, Role, RoomEventType } from '../store.js';
import type { RoomKind, SignalType } from '../store.js';
import { mentionSchema, type MentionDoc } from './mention-model.js';
import { indexReplies, threadFields, type ThreadFields } from './thread-models.js';

/**
 * The MongoDB documents behind the Store port, one collection per concept. Times are BSON Dates here (TTL indexes
 * need Dates, and they sort and compare natively); the store converts them to ISO strings for the domain objects.
 * Ids are the app's own newId() strings kept as string `_id`s, except for events and messages, whose natural key is
 * (roomId, seq) (a unique index) and whose `_id` is the default ObjectId.
 *
 * Shared schema options:
 * - versionKey: false: every concurrent write is guarded by a filter or a transaction, never by mongoose's `__v`.
 * - minimize: false: an event payload may be `{}` (room.deleted) and must read back as `{}`, not vanish.
 * - autoIndex/autoCreate are off on the connection; MongoStore.connect() creates collections and indexes itself,
 *   before any transaction runs (a transaction cannot create a collection on servers before 4.4, nor an index).
 */
const options = { versionKey: false as const, minimize: false, strict: true };

export interface UserDoc {
  _id: string;
  username: string;
  /** username lower-cased: the unique key (usernames are unique case-insensitively). */
  usernameKey: string;
  email: string;
  /** email lower-cased: the unique key. */
  emailKey: string;
  passwordHash: string;
  displayName: string;
  gender: Gender;
  avatar: Avatar | null;
  createdAt: Date;
  updatedAt: Date;
}

const userSchema = new Schema<UserDoc>(
  {
    _id: { type: String, required: true },
    username: { type: String, required: true },
    usernameKey: { type: String, required: true },
    email: { type: String, required: true },
    emailKey: { type: String, required: true },
    passwordHash: { type: String, required: true },
    displayName: { type: String, required: true },
    gender: { type: String, enum: GENDERS, required: true },
    avatar: { type: String, enum: [...AVATARS, null], default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  options,
);
// Lower-cased copies instead of a case-insensitive collation: a collation index only serves queries that name the
// same collation, and a plain key keeps every lookup (login by username or email) a simple equality match.
userSchema.index({ usernameKey: 1 }, { unique: true });
userSchema.index({ emailKey: 1 }, { unique: true });

export interface SessionDoc {
  _id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

const sessionSchema = new Schema<SessionDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  options,
);
sessionSchema.index({ userId: 1 });
// A session is useless once it has ended; the TTL monitor removes it a day later (the grace keeps a just-ended
// session readable, so an auth check sees "expired" rather than "unknown" around the boundary).
sessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 86_400 });

export interface RefreshTokenDoc {
  /** The token's hash: the lookup key. */
  _id: string;
  sessionId: string;
  expiresAt: Date;
  usedAt: Date | null;
}

const refreshTokenSchema = new Schema<RefreshTokenDoc>(
  {
    _id: { type: String, required: true },
    sessionId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  options,
);
// Expired refresh tokens are deleted by the TTL monitor (it runs about once a minute, so reads also check expiry).
refreshTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export interface ApiTokenDoc {
  _id: string;
  userId: string;
  name: string;
  tokenHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const apiTokenSchema = new Schema<ApiTokenDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    name: { type: String, required: true },
    tokenHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, default: null },
  },
  options,
);
apiTokenSchema.index({ tokenHash: 1 }, { unique: true });
apiTokenSchema.index({ userId: 1, createdAt: -1 });

export interface RoomDoc {
  _id: string;
  name: string;
  topic: string;
  kind: RoomKind;
  ownerId: string;
  createdAt: Date;
  updatedAt: Date;
  lastSeq: number;
  deletedAt: Date | null;
  /** Direct rooms only: the two user ids, sorted, joined by ':' (one live direct room per pair). */
  directKey?: string;
}

const roomSchema = new Schema<RoomDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    topic: { type: String, default: '' },
    kind: { type: String, enum: ROOM_KINDS, required: true },
    ownerId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    lastSeq: { type: Number, required: true, default: 0 },
    deletedAt: { type: Date, default: null },
    directKey: { type: String },
  },
  options,
);
// The public rooms a user may join, newest first.
roomSchema.index({ kind: 1, deletedAt: 1, createdAt: -1 });
// One direct room per pair, also when both users open it at once. Partial: only documents that have the field are
// in the index (a sparse unique index would do the same; partialFilterExpression is the documented preference).
// Deleting a direct room removes its key, so the pair can open a new one.
roomSchema.index({ directKey: 1 }, { unique: true, partialFilterExpression: { directKey: { $type: 'string' } } });

export interface MembershipDoc {
  roomId: string;
  userId: string;
  role: Role;
  joinedAt: Date;
  deliveredSeq: number;
  readSeq: number;
  /** Absent on memberships from before notification levels: read as the room kind's default. */
  notify?: NotifyLevel;
  muted?: boolean;
}

const membershipSchema = new Schema<MembershipDoc>(
  {
    roomId: { type: String, required: true },
    userId: { type: String, required: true },
    role: { type: String, enum: ROLES, required: true },
    joinedAt: { type: Date, required: true },
    deliveredSeq: { type: Number, required: true, default: 0 },
    readSeq: { type: Number, required: true, default: 0 },
    notify: { type: String, enum: NOTIFY_LEVELS, default: 'mentions' },
    muted: { type: Boolean, default: false },
  },
  options,
);
// By room (members list, point lookups) and unique: a user is in a room at most once. By user: their rooms.
membershipSchema.index({ roomId: 1, userId: 1 }, { unique: true });
membershipSchema.index({ userId: 1 });
// Receipt watermarks: a room's lowest deliveredSeq and readSeq are each the first entry of its range (a seek).
membershipSchema.index({ roomId: 1, deliveredSeq: 1 });
membershipSchema.index({ roomId: 1, readSeq: 1 });

export interface EventDoc {
  roomId: string;
  seq: number;
  type: RoomEventType;
  actor: PublicUser | null;
  at: Date;
  payload: Record<string, unknown>;
}

const eventSchema = new Schema<EventDoc>(
  {
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    type: { type: String, enum: ROOM_EVENT_TYPES, required: true },
    actor: { type: Schema.Types.Mixed, default: null },
    at: { type: Date, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
  },
  options,
);
// The log's key: no seq twice in a room (a second guard behind the room's lastSeq), and eventsAfter's range scan.
eventSchema.index({ roomId: 1, seq: 1 }, { unique: true });
// An edit or a delete finds every copy of the message in the log, to redact it.
eventSchema.index(
  { roomId: 1, 'payload.message.seq': 1 },
  { partialFilterExpression: { 'payload.message.seq': { $exists: true } } },
);

export interface MessageDoc extends ThreadFields {
  roomId: string;
  seq: number;
  authorId: string;
  text: string | null;
  /** A copy of the attached uploads' metadata (embedded: a message is read without a join). */
  attachments: Attachment[];
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  /** The author's client's key for the post; null when none. */
  clientId: string | null;
  /** Search: the folded words of the live text (server/search/tokens.ts), each once; [] once deleted. Absent on
   * messages stored before search existed until the start-up backfill reaches them. */
  searchWords?: string[];
  /** Search: the folded words in order, joined by single spaces, for phrases; null once deleted. */
  searchText?: string | null;
  /** Absent on messages from before mentions: none. */
  mentions?: string[];
  mentionsRoom?: boolean;
  mentionsHere?: boolean;
}

// An embedded attachment: no _id of its own, and no `id` virtual (it has a real `id` field: the upload's id).
const attachmentSchema = new Schema<Attachment>(
  {
    id: { type: String, required: true },
    mediaType: { type: String, required: true },
    size: { type: Number, required: true },
    width: { type: Number, required: true },
    height: { type: Number, required: true },
  },
  { ...options, _id: false, id: false },
);

const messageSchema = new Schema<MessageDoc>(
  {
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    authorId: { type: String, required: true },
    text: { type: String, default: null },
    attachments: { type: [attachmentSchema], default: [] },
    createdAt: { type: Date, required: true },
    editedAt: { type: Date, default: null },
    deletedAt: { type: Date, default: null },
    clientId: { type: String, default: null },
    ...threadFields,
    searchWords: { type: [String], default: undefined },
    searchText: { type: String, default: undefined },
    mentions: { type: [String], default: [] },
    mentionsRoom: { type: Boolean, default: false },
    mentionsHere: { type: Boolean, default: false },
  },
  options,
);
indexReplies(messageSchema, eventSchema);
// Search: a word (or a prefix, an anchored regex: an index range) narrows to its messages, newest first. Not a $text
// index: $text cannot match a prefix, and its stemming and stop words are per language; these are the same folded
// words that SQLite's FTS5 index holds, so both stores find the same messages.
messageSchema.index({ searchWords: 1, createdAt: -1 });
// Search with operators only (from:, in:, dates): a room's messages newest first.
messageSchema.index({ roomId: 1, createdAt: -1 });
// History pages scan (roomId, seq) in either direction.
messageSchema.index({ roomId: 1, seq: 1 }, { unique: true });
// A retried post finds its message; unique, so two racing copies cannot both be stored. Partial: only messages that
// have a key take part (null, the common case, is not indexed and never collides).
messageSchema.index(
  { roomId: 1, authorId: 1, clientId: 1 },
  { unique: true, partialFilterExpression: { clientId: { $type: 'string' } } },
);

export interface UploadDoc {
  /** The upload's id, also its blob key in GridFS. */
  _id: string;
  ownerId: string;
  roomId: string;
  mediaType: string;
  size: number;
  width: number;
  height: number;
  /** seq of the message that uses it; null while unused. */
  messageSeq: number | null;
  createdAt: Date;
}

const uploadSchema = new Schema<UploadDoc>(
  {
    _id: { type: String, required: true },
    ownerId: { type: String, required: true },
    roomId: { type: String, required: true },
    mediaType: { type: String, required: true },
    size: { type: Number, required: true },
    width: { type: Number, required: true },
    height: { type: Number, required: true },
    messageSeq: { type: Number, default: null },
    createdAt: { type: Date, required: true },
  },
  options,
);
/**
 * "Unused" is `messageSeq: { $type: 'null' }` (not `messageSeq: null`, which also matches a missing field): a partial
 * index only serves queries whose filter implies its partialFilterExpression, so queries use exactly this predicate.
 */
export const UNUSED = { $type: 'null' } as const;
// The retention sweep: unused uploads by age (only unused ones are indexed).
uploadSchema.index({ createdAt: 1 }, { partialFilterExpression: { messageSeq: UNUSED } });
// A message's uploads (deleteMessage).
uploadSchema.index({ roomId: 1, messageSeq: 1 });

/**
 * Signals: typing notices and receipt watermarks on their way to every instance (see MongoSignals). A document only
 * has to live until the change streams have passed it; the TTL index clears them after a minute.
 */
export interface SignalDoc {
  roomId: string;
  type: SignalType;
  data: Record<string, unknown>;
  at: Date;
}

const signalSchema = new Schema<SignalDoc>(
  {
    roomId: { type: String, required: true },
    type: { type: String, enum: SIGNAL_TYPES, required: true },
    data: { type: Schema.Types.Mixed, required: true },
    at: { type: Date, required: true },
  },
  options,
);
signalSchema.index({ at: 1 }, { expireAfterSeconds: 60 });

/**
 * Presence: one document per (room, user, instance) while that instance has a stream of the user following the room
 * (see MongoPresenceBoard). `_id` is "roomId/userId/instance" (ids never contain '/'), so a delete seen by the change
 * stream, which carries only the _id, still says whose presence ended. `expiresAt` is the server's clock at the
 * instance's last heartbeat plus its PRESENCE_TTL_MS.
 */
export interface PresenceDoc {
  _id: string;
  roomId: string;
  userId: string;
  instance: string;
  user: PublicUser;
  expiresAt: Date;
}

const presenceSchema = new Schema<PresenceDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    userId: { type: String, required: true },
    instance: { type: String, required: true },
    user: { type: Schema.Types.Mixed, required: true },
    expiresAt: { type: Date, required: true },
  },
  options,
);
// Who is online in a room (members list) and whether a user still is (after a change).
presenceSchema.index({ roomId: 1, userId: 1 });
// An instance's heartbeat and goodbye.
presenceSchema.index({ instance: 1 });
// Expiry: the server's TTL monitor removes a document once expiresAt has passed. It runs only once a minute, so
// instances also sweep expired documents on every heartbeat, which tells the others promptly that a crashed
// instance's users are gone; the index is the backstop when no instance is left to sweep.
presenceSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

/** Failed-login counts per key (see MongoFailureCounter). */
export interface FailureDoc {
  _id: string;
  count: number;
  resetAt: Date;
}

const failureSchema = new Schema<FailureDoc>(
  {
    _id: { type: String, required: true },
    count: { type: Number, required: true },
    resetAt: { type: Date, required: true },
  },
  options,
);
// Closed windows go away by themselves.
failureSchema.index({ resetAt: 1 }, { expireAfterSeconds: 0 });

/** Bases of multi-room stream ids, by the hash that names them (see MongoCursorBases). */
export interface CursorBaseDoc {
  _id: string;
  positions: string;
  usedAt: Date;
}

const cursorBaseSchema = new Schema<CursorBaseDoc>(
  {
    _id: { type: String, required: true },
    positions: { type: String, required: true },
    usedAt: { type: Date, required: true },
  },
  options,
);
// Unused for CURSOR_BASE_TTL_MS (30 days): a resume from an id that old refetches its rooms instead.
cursorBaseSchema.index({ usedAt: 1 }, { expireAfterSeconds: CURSOR_BASE_TTL_MS / 1000 });

/**
 * Blobs (GridFS files, by key) whose uploads are gone and that are still to be deleted. A key is queued in the same
 * transaction that removes its upload row, and dequeued once its file is gone, so a failure in between (an
 * election, a crash) leaves it queued for the upload janitor's next sweep instead of orphaning the file.
 */
export interface BlobDeletionDoc {
  _id: string;
  queuedAt: Date;
}

const blobDeletionSchema = new Schema<BlobDeletionDoc>(
  {
    _id: { type: String, required: true },
    queuedAt: { type: Date, required: true },
  },
  options,
);
// The sweep takes the oldest first.
blobDeletionSchema.index({ queuedAt: 1 });

/** The collections the change stream follows (see ChangeWatcher). */
export const EVENTS_COLLECTION = 'events';
export const SIGNALS_COLLECTION = 'signals';
export const PRESENCE_COLLECTION = 'presence';

export function defineModels(conn: Connection) {
  return {
    users: conn.model<UserDoc>('User', userSchema, 'users'),
    sessions: conn.model<SessionDoc>('Session', sessionSchema, 'sessions'),
    refreshTokens: conn.model<RefreshTokenDoc>('RefreshToken', refreshTokenSchema, 'refresh_tokens'),
    apiTokens: conn.model<ApiTokenDoc>('ApiToken', apiTokenSchema, 'api_tokens'),
    rooms: conn.model<RoomDoc>('Room', roomSchema, 'rooms'),
    memberships: conn.model<MembershipDoc>('Membership', membershipSchema, 'memberships'),
    events: conn.model<EventDoc>('Event', eventSchema, EVENTS_COLLECTION),
    messages: conn.model<MessageDoc>('Message', messageSchema, 'messages'),
    // Upload metadata. The bytes are in the GridFS bucket 'uploads' (collections uploads.files / uploads.chunks,
    // made by the driver on first use), see gridfs-blobs.ts.
    uploads: conn.model<UploadDoc>('Upload', uploadSchema, 'uploads'),
    signals: conn.model<SignalDoc>('Signal', signalSchema, SIGNALS_COLLECTION),
    presence: conn.model<PresenceDoc>('Presence', presenceSchema, PRESENCE_COLLECTION),
    failures: conn.model<FailureDoc>('Failure', failureSchema, 'login_failures'),
    blobDeletions: conn.model<BlobDeletionDoc>('BlobDeletion', blobDeletionSchema, 'blob_deletions'),
    cursorBases: conn.model<CursorBaseDoc>('CursorBase', cursorBaseSchema, 'cursor_bases'),
    reactions: conn.model<ReactionDoc>('Reaction', reactionSchema, 'reactions'),
    pins: conn.model<PinDoc>('Pin', pinSchema, 'pins'),
    mentions: conn.model<MentionDoc>('Mention', mentionSchema, 'mentions'),
  };
}

export type Models = ReturnType<typeof defineModels>;
