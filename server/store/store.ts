/**
 * The Store port: domain types and the interface every store implements. No driver code here.
 *
 * Rules every implementation follows (the contract suite in test/store/ checks them):
 * - Every method that appends a RoomEvent does so in ONE transaction with its read-model change and the room's
 *   lastSeq; seq is lastSeq + 1, so a room's seqs are 1, 2, 3 ... with no gap and no reuse
 *   (docs/architecture.md, invariants 1 and 2).
 * - The promise resolves only after commit; the committed event is then delivered to `feed` listeners.
 * - Failures are StoreErrors (server/store/errors.ts), never HTTP errors: a uniqueness violation is a 'conflict'
 *   (USERNAME_TAKEN, EMAIL_TAKEN, ALREADY_MEMBER ...), a missing row that the caller names is 'not-found'.
 *   Nothing is written when a method throws.
 * - Times are ISO-8601 strings in UTC.
 */
import type { SearchTerm } from '../search/query.js';

export const GENDERS = ['female', 'male', 'other', 'unspecified'] as const;
export type Gender = (typeof GENDERS)[number];

export const AVATARS = ['fox', 'owl', 'cat', 'bear', 'panda', 'koala', 'tiger', 'frog', 'whale', 'robot'] as const;
export type Avatar = (typeof AVATARS)[number];

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

export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  displayName: string;
  gender: Gender;
  avatar: Avatar | null;
}

export interface UserPatch {
  displayName?: string;
  gender?: Gender;
  avatar?: Avatar | null;
  passwordHash?: string;
}

export const ROOM_KINDS = ['public', 'private', 'direct'] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

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

export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Which messages of a room notify the member: every one, those that mention them, or none. */
export const NOTIFY_LEVELS = ['all', 'mentions', 'none'] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];
/** Rooms notify on mentions; a direct conversation is all mentions of you, so it notifies on every message. */
export const defaultNotifyLevel = (kind: RoomKind): NotifyLevel => (kind === 'direct' ? 'all' : 'mentions');

export interface Membership {
  roomId: string;
  userId: string;
  role: Role;
  joinedAt: string;
  deliveredSeq: number;
  readSeq: number;
  notify: NotifyLevel;
  /** A muted room shows no unread badge (and notifies no one: the client treats it as `none`). */
  muted: boolean;
}

/** A member's own notification settings for a room (either or both). */
export interface NotifyPatch {
  notify?: NotifyLevel;
  muted?: boolean;
}

export interface Member extends Membership {
  user: PublicUser;
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
  'thread.updated',
  'reaction.added',
  'reaction.removed',
  'message.pinned',
  'message.unpinned',
] as const;
export type RoomEventType = (typeof ROOM_EVENT_TYPES)[number];

/** See Store.messageReceipts. */
export interface MessageReceipts {
  counts: { delivered: number; read: number; pending: number };
  deliveredTo: PublicUser[];
  readBy: PublicUser[];
  pending: PublicUser[];
}

/** Where a page of members starts (after this member, in listMembers' order), how long it is, and a filter. */
export interface MembersPage {
  after: { role: Role; username: string } | null;
  limit: number;
  query: string | null;
}

/** One entry of a room's append-only log. `actor` is a snapshot of who did it, taken at append time. */
export interface RoomEvent {
  roomId: string;
  seq: number;
  type: RoomEventType;
  actor: PublicUser | null;
  at: string;
  payload: Record<string, unknown>;
}

/** An image attached to a message (metadata of its upload; the bytes are served by /api/uploads/:id). */
export interface Attachment {
  id: string;
  mediaType: string;
  size: number;
  width: number;
  height: number;
}

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** An uploaded image: it belongs to its uploader and room until a message uses it. */
export interface Upload extends Attachment {
  ownerId: string;
  roomId: string;
  /** seq of the message that uses it; null while unused. */
  messageSeq: number | null;
  createdAt: string;
}

/** Where upload bytes live: files under DATA_DIR, or GridFS so that every instance serves every file. */
export interface BlobStore {
  /** Stores the bytes under `key` (replacing nothing: keys are fresh ids). */
  put(key: string, data: Buffer, contentType: string): Promise<void>;
  /** The bytes, or null when missing. */
  get(key: string): Promise<Buffer | null>;
  /** Removes the key; missing keys are fine. */
  delete(key: string): Promise<void>;
  /**
   * Deletes the blobs of uploads that are gone (a deleted message's, expired unused ones), now where it can. One it
   * cannot delete now stays queued for sweep(), so this does not fail for it; missing keys are fine.
   */
  discard(keys: string[]): Promise<void>;
  /** Retries the queued deletions (the upload janitor calls it); resolves with how many are still queued. */
  sweep(): Promise<number>;
}

export interface Message {
  roomId: string;
  seq: number;
  author: PublicUser;
  text: string | null;
  attachments: Attachment[];
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  /** The key the author's client chose for this post (retries with it return this message); null when none. */
  clientId: string | null;
  /** What a reply answers (its parent, as it is now); null when the message is not a reply. */
  replyTo: ReplyRef | null;
  /** A reply's thread: the seq of the thread's root (the first message); null when the message is not a reply. */
  threadSeq: number | null;
  /** A root's thread summary; null while it has no live replies. */
  thread: ThreadSummary | null;
  /** Members named with @username (ids), as resolved when it was stored or last edited. */
  mentions: string[];
  /** It says @room (every member) / @here (every member online when it was sent). */
  mentionsRoom: boolean;
  mentionsHere: boolean;
}

/** The parent of a reply. `author` and `excerpt` are null once the parent is deleted. */
export interface ReplyRef {
  seq: number;
  author: PublicUser | null;
  /** At most REPLY_EXCERPT_CHARS characters of the parent's current text ('' for an image without text). */
  excerpt: string | null;
}

/** The replies under a thread's root that are not deleted. */
export interface ThreadSummary {
  replies: number;
  lastReplyAt: string | null;
  /** Up to THREAD_PARTICIPANTS distinct authors of replies, the most recent replier first. */
  participants: PublicUser[];
}

/** One emoji's reactions on a message, as a viewer sees them. */
export interface ReactionSummary {
  emoji: string;
  count: number;
  /** The first users who reacted with it (ids, earliest first; at most REACTION_USERS_SHOWN). */
  users: string[];
  /** Whether the viewer is among those who reacted with it. */
  me: boolean;
}

/** A message as a member is shown it: with its reactions (`me` is that member's). */
export interface MessageWithReactions extends Message {
  reactions: ReactionSummary[];
}

/** Who pinned a message, and when. */
export interface PinMark {
  by: PublicUser;
  at: string;
}

/** A pinned message of a room. */
export interface Pin extends PinMark {
  message: Message;
}

/** The outcome of adding or removing a reaction or a pin: `event` is null when nothing changed (idempotent). */
export interface ToggleResult {
  event: RoomEvent | null;
}

/** A page of the messages that mention a user, newest first, continuing after `before` (an earlier page's last). */
export interface MentionPage {
  limit: number;
  before?: { at: string; roomId: string; seq: number };
}

/** A page of the room directory: at most `limit` rooms after the room `after` names (newest first). */
export interface RoomDirectoryPage {
  limit: number;
  after?: { createdAt: string; id: string };
}

export interface RoomWithMembership {
  room: Room;
  membership: Membership | null;
  /** Messages by others after the member's readSeq that are not deleted; 0 when not a member. */
  unread: number;
  /** Of those, the ones that mention the member (@them, @room, or @here while they were online). */
  unreadMentions: number;
  /** For direct rooms: the other member. */
  peer: PublicUser | null;
}

/** How far every member of a room has got: the minimum over members of deliveredSeq and of readSeq. */
export interface Watermarks {
  deliveredSeq: number;
  readSeq: number;
}

/** A login session: the family of its refresh tokens. It ends at expiresAt whatever happens. */
export interface Session {
  id: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export type RefreshUse =
  | { status: 'ok'; session: Session }
  /** The token had already been used: a replay. The store has revoked the whole session (token family). */
  | { status: 'reused'; sessionId: string }
  | { status: 'invalid' };

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** What postMessage stores: the author's text and upload ids, and the optional parts described there. */
export interface NewMessage {
  text: string | null;
  attachments: string[];
  /** The client's key for the post, so a retry returns the stored message instead of posting twice. */
  clientId?: string | null;
  /** The seq of the message this one replies to. */
  replyTo?: number | null;
  /** Who is online as it is sent: the members an @here reaches. */
  online?: string[];
}

export interface MessagePage {
  /** Newest first, seq < before (or from the newest when before is unset). */
  before?: number;
  /** Ascending, seq > after. */
  after?: number;
  limit: number;
}

/** What searchMessages looks for. Every term must match; the filters narrow further. */
export interface MessageSearch {
  /** Folded words and phrases (server/search/query.ts); none: every live message passes the text test. */
  terms: SearchTerm[];
  /** Only these rooms (still only those the user is a member of). */
  roomIds?: string[];
  /** Only messages by these users. */
  authorIds?: string[];
  /** ISO times: createdAt < before, createdAt >= after. */
  before?: string;
  after?: string;
  /** Only messages older than this one (the last of the previous page). 400 when it names no message. */
  cursor?: { roomId: string; seq: number };
  limit: number;
}

export type FeedListener = (event: RoomEvent) => void;
/** Called when the feed may have lost events (e.g. change-stream history lost): subscribers must be told to reset. */
export type FeedResetListener = () => void;

/** Committed events, in commit order per room, as the hub receives them. */
export interface EventFeed {
  onEvent(listener: FeedListener): () => void;
  onReset(listener: FeedResetListener): () => void;
  /** Whether the feed is currently delivering (a change stream is open, or always for in-process feeds). */
  readonly live: boolean;
}

/** `presence.watch` carries a user's watch list to the hub that holds their streams; it is not sent to streams. */
export const SIGNAL_TYPES = ['typing', 'receipt', 'membership', 'presence.watch'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

/** An ephemeral notice for a room's subscribers on every instance (typing, receipt watermarks). Never stored in the
 * log, never replayed; `data` is what the stream event carries. */
export interface Signal {
  roomId: string;
  type: SignalType;
  data: Record<string, unknown>;
}

/**
 * Carries signals to every instance's hub, this one's included. Best effort: a signal can be lost (an instance that is
 * down misses it), which only costs a stale typing line or tick until the next one; stored events never travel here.
 */
export interface SignalBus {
  publish(signal: Signal): void;
  onSignal(listener: (signal: Signal) => void): () => void;
}

export interface PresenceChange {
  roomId: string;
  user: PublicUser;
  online: boolean;
}

/**
 * Who is online in which room, over every instance. Each instance reports whether it has a stream of the user
 * following the room; a user is online in a room while any live instance says so. An instance that dies without
 * saying goodbye stops counting after an expiry, so its users go offline.
 */
export interface PresenceBoard {
  /** This instance has (`here`) or no longer has a stream of `user` following `roomId`. */
  set(roomId: string, user: PublicUser, here: boolean): Promise<void>;
  /** Ids of the users online in the room on any instance. */
  online(roomId: string): Promise<Set<string>>;
  /** Called when a user's online state in a room changed (on any instance, or by expiry). A change may be reported
   * twice; listeners treat it as a state, not a toggle. */
  onChange(listener: (change: PresenceChange) => void): () => void;
}

/** A count of failures for a key within a window that opens at its first failure. */
export interface FailureWindow {
  count: number;
  /** When the window closes (ms since the epoch); the count then starts again from zero. */
  resetAt: number;
}

/**
 * Failure counts (failed logins per IP and per account) shared by every instance, so that N instances do not allow
 * N times the attempts. Expired windows read as none.
 */
export interface FailureCounter {
  get(key: string): Promise<FailureWindow | null>;
  /** Counts one failure: in the open window, or in a new one of `windowMs`. */
  add(key: string, windowMs: number): Promise<void>;
  clear(key: string): Promise<void>;
}

/** How long a cursor base is kept after it was last stored or read. */
export const CURSOR_BASE_TTL_MS = 30 * 24 * 3600_000;
/** A base read after this long unused is marked used again (so a read is a write at most once a day). */
export const CURSOR_BASE_TOUCH_MS = 24 * 3600_000;

/**
 * The bases of multi-room stream ids (realtime/stream-cursor.ts): a stream's positions in every room, stored under a
 * hash of themselves, so that an id names them in 12 characters and a resume after a restart still finds them.
 * Kept for CURSOR_BASE_TTL_MS after they were last stored or read.
 */
export interface CursorBaseStore {
  /** Stores each `text` under its `id` (the same id always comes with the same text) and marks them used. */
  save(bases: ReadonlyArray<{ id: string; text: string }>): Promise<void>;
  /** The text stored under `id`; null when unknown or expired. Marks it used (at most once a day: a read is cheap). */
  load(id: string): Promise<string | null>;
}

export interface Store {
  readonly kind: 'sqlite' | 'mongo';
  readonly feed: EventFeed;
  readonly blobs: BlobStore;
  readonly signals: SignalBus;
  readonly presence: PresenceBoard;
  readonly failures: FailureCounter;
  readonly cursorBases: CursorBaseStore;
  close(): Promise<void>;
  /**
   * Whether `err`, thrown by one of this store's methods, means the storage cannot take the request now (disk full,
   * I/O error, database locked or unreachable) rather than a bug: clients are told to retry (503).
   */
  isUnavailable(err: unknown): boolean;

  // Users. Usernames are unique case-insensitively and stored lower-cased; emails are unique lower-cased.
  createUser(input: NewUser): Promise<User>;
  getUser(id: string): Promise<User | null>;
  /** By username or email, case-insensitively. */
  findUserForLogin(login: string): Promise<UserWithSecret | null>;
  getUserSecret(id: string): Promise<UserWithSecret | null>;
  findUserByUsername(username: string): Promise<User | null>;
  updateUser(id: string, patch: UserPatch): Promise<User>;

  // Sessions and refresh tokens.
  createSession(input: { userId: string; expiresAt: string }): Promise<Session>;
  getSession(id: string): Promise<Session | null>;
  revokeSession(id: string): Promise<void>;
  /** Revokes every live session of the user but `exceptSessionId`; returns the revoked ids. */
  revokeUserSessions(userId: string, exceptSessionId?: string): Promise<string[]>;
  addRefreshToken(input: { sessionId: string; tokenHash: string; expiresAt: string }): Promise<void>;
  /** Atomically marks the token used. A second use of the same token revokes its session. */
  useRefreshToken(tokenHash: string, now: string): Promise<RefreshUse>;

  // Personal API tokens (only the hash is stored).
  createApiToken(input: { userId: string; name: string; tokenHash: string }): Promise<ApiToken>;
  listApiTokens(userId: string): Promise<ApiToken[]>;
  deleteApiToken(userId: string, id: string): Promise<boolean>;
  /** Finds the token by hash and records its use (to the minute: a busy script does not write on every request). */
  useApiToken(tokenHash: string, now: string): Promise<ApiToken | null>;

  // Rooms and memberships. Deleted rooms are invisible to every read.
  /** Creates the room and appends member.joined (seq 1) for its owner. */
  createRoom(input: {
    name: string;
    topic: string;
    kind: RoomKind;
    owner: PublicUser;
  }): Promise<{ room: Room; event: RoomEvent }>;
  getRoom(id: string): Promise<Room | null>;
  /** The rooms the user is a member of, with their membership, unread count and (direct rooms) peer; newest first. */
  listRoomsOfUser(userId: string): Promise<RoomWithMembership[]>;
  /** A page of the public rooms the user is not in, newest first, continuing after `page.after`. */
  listPublicRooms(userId: string, page: RoomDirectoryPage): Promise<Room[]>;
  updateRoom(
    roomId: string,
    actor: PublicUser,
    patch: { name?: string; topic?: string },
  ): Promise<{ room: Room; event: RoomEvent }>;
  /**
   * Appends room.deleted; the room then reads as missing. Its uploads are removed with it and returned: their bytes
   * are the caller's to delete.
   */
  deleteRoom(roomId: string, actor: PublicUser): Promise<{ event: RoomEvent; removedUploads: Upload[] }>;
  getMembership(roomId: string, userId: string): Promise<Membership | null>;
  listMembers(roomId: string): Promise<Member[]>;
  /**
   * A page of the members in listMembers' order (role, then username): those after `after` (the last member of the
   * page before), at most `limit`; with `query`, only those whose username or display name contains it (any case).
   */
  listMembersPage(roomId: string, page: MembersPage): Promise<Member[]>;
  /** Appends member.joined. 409 ALREADY_MEMBER when the user is in the room. */
  addMember(
    roomId: string,
    user: PublicUser,
    role: Role,
    actor: PublicUser,
  ): Promise<{ membership: Membership; event: RoomEvent }>;
  /** Appends member.left with the reason. 404 NOT_A_MEMBER when the user is not in the room. */
  removeMember(roomId: string, user: PublicUser, actor: PublicUser, reason: 'left' | 'removed'): Promise<RoomEvent>;
  /**
   * The direct room of two users: created (with both memberships and a member.joined for each) on first use, the
   * same room afterwards, also when both sides ask at once.
   */
  openDirectRoom(a: PublicUser, b: PublicUser): Promise<{ room: Room; created: boolean }>;
  /** Appends member.updated with the user's new public profile to every room the user is in (each room's event
   * atomically; a store may use one transaction for all). */
  announceProfile(user: PublicUser): Promise<RoomEvent[]>;
  /**
   * Appends member.role. Making someone owner is a transfer: when the actor is the room's owner, the actor becomes
   * admin in the same transaction (a second member.role event), so the room never has two owners.
   */
  setRole(
    roomId: string,
    user: PublicUser,
    role: Role,
    actor: PublicUser,
  ): Promise<{ membership: Membership; event: RoomEvent }>;

  // Messages.
  /**
   * Appends message.created. `attachments` are upload ids: each must be an unused upload of this author in this
   * room (else 400 INVALID_ATTACHMENT and nothing is written); they become used by the message in the same
   * transaction.
   * With a `clientId` the author already used in this room, nothing is written: the message posted with it is
   * returned with `created: false` (a client's retry after a lost answer, including two racing copies).
   * With `replyTo` (a seq), the message is a reply: the parent must be a live message of the room (else 400
   * REPLY_TO_UNKNOWN or 409 REPLY_TO_DELETED, nothing written); the thread's root gets a thread.updated event in the
   * same transaction, right after the message.created.
   */
  postMessage(roomId: string, author: PublicUser, input: NewMessage): Promise<{ message: Message; created: boolean }>;
  /**
   * 404 MESSAGE_NOT_FOUND when missing or deleted. Mentions are resolved again from the new text (`online`: who is
   * online now, for an @here; those an earlier @here reached stay mentioned while the text keeps it).
   */
  editMessage(
    roomId: string,
    seq: number,
    actor: PublicUser,
    text: string,
    online?: string[],
  ): Promise<{ message: Message; event: RoomEvent }>;
  /**
   * Also removes the message's uploads (their rows); returns them so the caller discards their blobs (a store may
   * also queue them for deletion in the same transaction, so that none is orphaned). Deleting a reply appends
   * thread.updated for its root. Editing or deleting a parent rewrites the excerpts its replies' stored copies carry
   * (redaction reaches them too).
   */
  deleteMessage(
    roomId: string,
    seq: number,
    actor: PublicUser,
  ): Promise<{ message: Message; event: RoomEvent; removedUploads: Upload[] }>;
  getMessage(roomId: string, seq: number): Promise<Message | null>;
  listMessages(roomId: string, page: MessagePage): Promise<Message[]>;
  /** The replies (deleted ones included, as tombstones) of the thread rooted at `rootSeq`, ascending, seq > after. */
  listThread(roomId: string, rootSeq: number, page: { after?: number; limit: number }): Promise<Message[]>;
  /**
   * Live messages (not deleted; edited ones by their current text) in the rooms `userId` is a member of, matching
   * `search`, newest first: at most `limit`.
   */
  searchMessages(userId: string, search: MessageSearch): Promise<Message[]>;

  // Reactions: one per (message, emoji, user). Each change appends reaction.added / reaction.removed; adding one
  // that exists or removing one that does not writes nothing. 404 MESSAGE_NOT_FOUND for a missing or deleted
  // message; 409 TOO_MANY_REACTIONS for a new emoji beyond `maxEmoji` distinct ones on the message.
  addReaction(roomId: string, seq: number, emoji: string, user: PublicUser, maxEmoji: number): Promise<ToggleResult>;
  removeReaction(roomId: string, seq: number, emoji: string, user: PublicUser): Promise<ToggleResult>;
  /**
   * The reactions of the messages with these seqs, in one query: per seq, each emoji in the order it was first
   * used, with its count, its first `usersShown` users and whether `viewerId` reacted with it. Seqs without
   * reactions are absent from the map.
   */
  listReactions(
    roomId: string,
    seqs: number[],
    viewerId: string | null,
    usersShown: number,
  ): Promise<Map<number, ReactionSummary[]>>;

  // Pins: one per message. Pinning appends message.pinned (with the message), unpinning message.unpinned; pinning a
  // pinned message or unpinning one that is not writes nothing. 404 MESSAGE_NOT_FOUND for a missing or deleted
  // message (unpinning: for one missing or not pinned is fine); 409 TOO_MANY_PINS beyond `maxPins` in the room.
  // Deleting a message removes its reactions and its pin in the same transaction (message.deleted says so).
  pinMessage(roomId: string, seq: number, actor: PublicUser, maxPins: number): Promise<ToggleResult>;
  unpinMessage(roomId: string, seq: number, actor: PublicUser): Promise<ToggleResult>;
  /** The room's pinned messages, newest pin first. */
  listPins(roomId: string): Promise<Pin[]>;

  // Mentions. postMessage and editMessage resolve them (server/messages/mentions.ts) against the room's members and
  // record whom each message mentions; a deleted message mentions no one.
  /** The messages that mention the user (not their own, not deleted) in rooms they are still in, newest first. */
  listMentions(userId: string, page: MentionPage): Promise<Message[]>;
  /** Sets the member's notification level and mute; null when not a member. No event: it is the member's own. */
  setNotify(roomId: string, userId: string, patch: NotifyPatch): Promise<Membership | null>;

  // Receipts. Both watermarks only move forward: lower values are ignored; values are capped at the room's lastSeq.
  markDelivered(entries: Array<{ roomId: string; userId: string; seq: number }>): Promise<void>;
  /**
   * Who among the room's members other than `exceptUserId` has `seq` delivered, has read it, and has it pending: how
   * many of each, and the first `limit` of each in listMembers' order.
   */
  messageReceipts(roomId: string, seq: number, exceptUserId: string, limit: number): Promise<MessageReceipts>;
  /** Returns the membership after the update, or null when the user is not a member. */
  markRead(roomId: string, userId: string, seq: number): Promise<Membership | null>;
  watermarks(roomId: string): Promise<Watermarks>;

  // Uploads (the metadata; bytes are in `blobs`).
  createUpload(upload: Omit<Upload, 'messageSeq' | 'createdAt'>): Promise<Upload>;
  getUpload(id: string): Promise<Upload | null>;
  /** Removes unused uploads created before `before` and returns them (their blobs are the caller's to discard, as
   * for deleteMessage). */
  removeUnusedUploads(before: string): Promise<Upload[]>;

  // The log.
  /** Events with seq > afterSeq, ascending, at most `limit` (none when limit <= 0). */
  eventsAfter(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]>;
}
