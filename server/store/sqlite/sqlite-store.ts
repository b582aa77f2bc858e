import path from 'node:path';
import type Database from 'better-sqlite3';
import { FeedPublisher } from '../feed.js';
import { MemoryFailureCounter } from '../memory/failures.js';
import { MemoryPresenceBoard } from '../memory/presence.js';
import { MemorySignals } from '../memory/signals.js';
import type {
  ApiToken,
  Member,
  MembersPage,
  MessageReceipts,
  Membership,
  Message,
  MessagePage,
  MessageSearch,
  MentionPage,
  NewUser,
  NotifyPatch,
  Pin,
  ReactionSummary,
  ToggleResult,
  NewMessage,
  PublicUser,
  RefreshUse,
  Role,
  Room,
  RoomEvent,
  RoomKind,
  RoomDirectoryPage,
  RoomWithMembership,
  Session,
  Store,
  Upload,
  User,
  UserPatch,
  UserWithSecret,
  Watermarks,
} from '../store.js';
import { openDatabase } from './connection.js';
import { SqliteCursorBases } from './cursor-bases.js';
import { isSqliteUnavailable } from './unavailable.js';
import { SqliteEventLog, type Append } from './events.js';
import { FileBlobStore } from './file-blobs.js';
import { GroupCommit } from './group-commit.js';
import { SqliteMentions } from './mentions.js';
import { SqliteMessages } from './messages.js';
import { SqlitePins } from './pins.js';
import { SqliteReactions } from './reactions.js';
import { SqliteReceipts } from './receipts.js';
import { SqliteRooms } from './rooms.js';
import { SqliteSearch } from './search.js';
import { SqliteSessions } from './sessions.js';
import { SqliteThreads } from './threads.js';
import { SqliteUploads } from './uploads.js';
import { SqliteUsers } from './users.js';

/**
 * The embedded store: one SQLite file in WAL mode, one module per aggregate, composed here. Every write that appends
 * to a room's log runs through the group commit (see GroupCommit), whatever aggregates it touches: per-room seq
 * order is commit order, and the feed publishes each committed event after its transaction, in that order.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly feed: FeedPublisher;
  readonly blobs: FileBlobStore;
  /** One process is the whole deployment: signals, presence and failure counts stay in memory. */
  readonly signals: MemorySignals;
  readonly presence: MemoryPresenceBoard;
  readonly failures = new MemoryFailureCounter();
  readonly cursorBases: SqliteCursorBases;
  private readonly db: Database.Database;
  private readonly engine: GroupCommit<RoomEvent>;
  private readonly log: SqliteEventLog;
  private readonly users: SqliteUsers;
  private readonly sessions: SqliteSessions;
  private readonly rooms: SqliteRooms;
  private readonly receipts: SqliteReceipts;
  private readonly uploads: SqliteUploads;
  private readonly messages: SqliteMessages;
  private readonly search: SqliteSearch;
  private readonly reactions: SqliteReactions;
  private readonly pins: SqlitePins;
  private readonly mentions: SqliteMentions;

  constructor(opts: {
    file: string;
    synchronous?: 'FULL' | 'NORMAL';
    onFeedError?: (err: unknown) => void;
    blobDir?: string;
  }) {
    this.blobs = new FileBlobStore(opts.blobDir ?? path.join(path.dirname(opts.file), 'uploads'));
    this.db = openDatabase(opts);
    this.feed = new FeedPublisher(opts.onFeedError);
    this.signals = new MemorySignals(opts.onFeedError);
    this.presence = new MemoryPresenceBoard(opts.onFeedError);
    this.engine = new GroupCommit<RoomEvent>(this.db, (events) => {
      for (const event of events) this.feed.publish(event);
    });
    this.log = new SqliteEventLog(this.db);
    this.cursorBases = new SqliteCursorBases(this.db, (fn) => this.engine.run(fn));
    this.users = new SqliteUsers(this.db);
    this.sessions = new SqliteSessions(this.db);
    this.rooms = new SqliteRooms(this.db);
    this.receipts = new SqliteReceipts(this.db);
    this.uploads = new SqliteUploads(this.db);
    this.mentions = new SqliteMentions(this.db);
    this.messages = new SqliteMessages(
      this.db,
      this.uploads,
      this.receipts,
      this.log,
      new SqliteThreads(this.db),
      this.mentions,
    );
    this.search = new SqliteSearch(this.db);
    this.reactions = new SqliteReactions(this.db);
    this.pins = new SqlitePins(this.db, (roomId, seq) => this.messages.get(roomId, seq));
  }

  /**
   * Runs `fn` atomically in the next group commit; `append` adds a RoomEvent and bumps the room's lastSeq inside it.
   * Resolves after the commit; the events reach the feed right after, in commit order. Rejects with what `fn` threw,
   * having written nothing.
   */
  private commit<T>(fn: (append: Append) => T): Promise<T> {
    return this.engine.run((emit) => fn(this.log.appender(emit)));
  }

  async close(): Promise<void> {
    this.engine.flush(); // what was asked before close is committed (or refused), never left hanging
    if (this.db.open) this.db.close();
  }

  isUnavailable(err: unknown): boolean {
    return isSqliteUnavailable(err);
  }

  // ---- users

  async createUser(input: NewUser): Promise<User> {
    return this.users.create(input);
  }

  async getUser(id: string): Promise<User | null> {
    return this.users.get(id);
  }

  async getUserSecret(id: string): Promise<UserWithSecret | null> {
    return this.users.getSecret(id);
  }

  async findUserForLogin(login: string): Promise<UserWithSecret | null> {
    return this.users.findForLogin(login);
  }

  async findUserByUsername(username: string): Promise<User | null> {
    return this.users.findByUsername(username);
  }

  async updateUser(id: string, patch: UserPatch): Promise<User> {
    return this.users.update(id, patch);
  }

  // ---- sessions and tokens

  async createSession(input: { userId: string; expiresAt: string }): Promise<Session> {
    return this.sessions.createSession(input);
  }

  async getSession(id: string): Promise<Session | null> {
    return this.sessions.getSession(id);
  }

  async revokeSession(id: string): Promise<void> {
    this.sessions.revokeSession(id);
  }

  async revokeUserSessions(userId: string, exceptSessionId?: string): Promise<string[]> {
    return this.sessions.revokeUserSessions(userId, exceptSessionId);
  }

  async addRefreshToken(input: { sessionId: string; tokenHash: string; expiresAt: string }): Promise<void> {
    this.sessions.addRefreshToken(input);
  }

  async useRefreshToken(tokenHash: string, now: string): Promise<RefreshUse> {
    return this.sessions.useRefreshToken(tokenHash, now);
  }

  async createApiToken(input: { userId: string; name: string; tokenHash: string }): Promise<ApiToken> {
    return this.sessions.createApiToken(input);
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    return this.sessions.listApiTokens(userId);
  }

  async deleteApiToken(userId: string, id: string): Promise<boolean> {
    return this.sessions.deleteApiToken(userId, id);
  }

  async useApiToken(tokenHash: string, now: string): Promise<ApiToken | null> {
    return this.sessions.useApiToken(tokenHash, now);
  }

  // ---- rooms and memberships

  async createRoom(input: {
    name: string;
    topic: string;
    kind: RoomKind;
    owner: PublicUser;
  }): Promise<{ room: Room; event: RoomEvent }> {
    return this.commit((append) => this.rooms.create(append, input));
  }

  async getRoom(id: string): Promise<Room | null> {
    return this.rooms.get(id);
  }

  async listRoomsOfUser(userId: string): Promise<RoomWithMembership[]> {
    return this.rooms.listMine(userId);
  }

  async listPublicRooms(userId: string, page: RoomDirectoryPage): Promise<Room[]> {
    return page.limit > 0 ? this.rooms.listPublic(userId, page) : [];
  }

  async updateRoom(
    roomId: string,
    actor: PublicUser,
    patch: { name?: string; topic?: string },
  ): Promise<{ room: Room; event: RoomEvent }> {
    return this.commit((append) => this.rooms.update(append, roomId, actor, patch));
  }

  async deleteRoom(roomId: string, actor: PublicUser): Promise<{ event: RoomEvent; removedUploads: Upload[] }> {
    return this.commit((append) => {
      const event = this.rooms.delete(append, roomId, actor);
      return { event, removedUploads: this.uploads.removeOfRoom(roomId) };
    });
  }

  async getMembership(roomId: string, userId: string): Promise<Membership | null> {
    return this.rooms.getMembership(roomId, userId);
  }

  async listMembers(roomId: string): Promise<Member[]> {
    return this.rooms.listMembers(roomId);
  }

  async listMembersPage(roomId: string, page: MembersPage): Promise<Member[]> {
    return this.rooms.listMembersPage(roomId, page);
  }

  async messageReceipts(roomId: string, seq: number, exceptUserId: string, limit: number): Promise<MessageReceipts> {
    return this.rooms.messageReceipts(roomId, seq, exceptUserId, limit);
  }

  async addMember(
    roomId: string,
    user: PublicUser,
    role: Role,
    actor: PublicUser,
  ): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.commit((append) => this.rooms.addMember(append, roomId, user, role, actor));
  }

  async removeMember(
    roomId: string,
    user: PublicUser,
    actor: PublicUser,
    reason: 'left' | 'removed',
  ): Promise<RoomEvent> {
    return this.commit((append) => this.rooms.removeMember(append, roomId, user, actor, reason));
  }

  async openDirectRoom(a: PublicUser, b: PublicUser): Promise<{ room: Room; created: boolean }> {
    return this.commit((append) => this.rooms.openDirect(append, a, b));
  }

  async announceProfile(user: PublicUser): Promise<RoomEvent[]> {
    return this.commit((append) => this.rooms.announceProfile(append, user));
  }

  async setRole(
    roomId: string,
    user: PublicUser,
    role: Role,
    actor: PublicUser,
  ): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.commit((append) => this.rooms.setRole(append, roomId, user, role, actor));
  }

  // ---- messages and the log

  async postMessage(
    roomId: string,
    author: PublicUser,
    input: NewMessage,
  ): Promise<{ message: Message; created: boolean }> {
    return this.commit((append) => this.messages.post(append, roomId, author, input));
  }

  async editMessage(
    roomId: string,
    seq: number,
    actor: PublicUser,
    text: string,
    online?: string[],
  ): Promise<{ message: Message; event: RoomEvent }> {
    return this.commit((append) => this.messages.edit(append, roomId, seq, actor, text, online));
  }

  async deleteMessage(
    roomId: string,
    seq: number,
    actor: PublicUser,
  ): Promise<{ message: Message; event: RoomEvent; removedUploads: Upload[] }> {
    return this.commit((append) => {
      const deleted = this.messages.delete(append, roomId, seq, actor);
      // A deleted message keeps no reactions and no pin; its message.deleted event says so for both.
      this.reactions.removeOfMessage(roomId, seq);
      this.pins.removeOfMessage(roomId, seq);
      return deleted;
    });
  }

  async getMessage(roomId: string, seq: number): Promise<Message | null> {
    return this.messages.get(roomId, seq);
  }

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    return this.messages.list(roomId, page);
  }

  async listThread(roomId: string, rootSeq: number, page: { after?: number; limit: number }): Promise<Message[]> {
    return this.messages.listThread(roomId, rootSeq, page);
  }

  async searchMessages(userId: string, search: MessageSearch): Promise<Message[]> {
    if (search.limit <= 0) return []; // SQLite reads a negative LIMIT as no limit
    // Keys first, then the messages: the page is small, and one read model builds every Message.
    return this.search
      .find(userId, search)
      .map((k) => this.messages.get(k.roomId, k.seq))
      .filter((m): m is Message => m !== null);
  }

  async listMentions(userId: string, page: MentionPage): Promise<Message[]> {
    if (page.limit <= 0) return [];
    return this.mentions.page(userId, page).flatMap(({ roomId, seq }) => this.messages.get(roomId, seq) ?? []);
  }

  async setNotify(roomId: string, userId: string, patch: NotifyPatch): Promise<Membership | null> {
    if (!this.rooms.get(roomId) || !this.mentions.setNotify(roomId, userId, patch)) return null;
    return this.rooms.getMembership(roomId, userId);
  }

  async eventsAfter(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    if (limit <= 0) return []; // SQLite reads a negative LIMIT as no limit
    return this.log.after(roomId, afterSeq, limit);
  }

  // ---- reactions and pins

  async addReaction(
    roomId: string,
    seq: number,
    emoji: string,
    user: PublicUser,
    maxEmoji: number,
  ): Promise<ToggleResult> {
    return this.commit((append) => this.reactions.add(append, roomId, seq, emoji, user, maxEmoji));
  }

  async removeReaction(roomId: string, seq: number, emoji: string, user: PublicUser): Promise<ToggleResult> {
    return this.commit((append) => this.reactions.remove(append, roomId, seq, emoji, user));
  }

  async listReactions(
    roomId: string,
    seqs: number[],
    viewerId: string | null,
    usersShown: number,
  ): Promise<Map<number, ReactionSummary[]>> {
    return this.reactions.list(roomId, seqs, viewerId, usersShown);
  }

  async pinMessage(roomId: string, seq: number, actor: PublicUser, maxPins: number): Promise<ToggleResult> {
    return this.commit((append) => this.pins.pin(append, roomId, seq, actor, maxPins));
  }

  async unpinMessage(roomId: string, seq: number, actor: PublicUser): Promise<ToggleResult> {
    return this.commit((append) => this.pins.unpin(append, roomId, seq, actor));
  }

  async listPins(roomId: string): Promise<Pin[]> {
    return this.pins.list(roomId);
  }

  // ---- uploads

  async createUpload(upload: Omit<Upload, 'messageSeq' | 'createdAt'>): Promise<Upload> {
    return this.uploads.create(upload);
  }

  async getUpload(id: string): Promise<Upload | null> {
    return this.uploads.get(id);
  }

  async removeUnusedUploads(before: string): Promise<Upload[]> {
    return this.uploads.removeUnused(before);
  }

  // ---- receipts

  async markDelivered(entries: Array<{ roomId: string; userId: string; seq: number }>): Promise<void> {
    await this.receipts.markDelivered(entries);
  }

  async markRead(roomId: string, userId: string, seq: number): Promise<Membership | null> {
    this.receipts.markRead({ roomId, userId, seq });
    return this.rooms.getMembership(roomId, userId);
  }

  async watermarks(roomId: string): Promise<Watermarks> {
    return this.receipts.watermarks(roomId);
  }
}
