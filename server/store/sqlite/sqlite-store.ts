import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { storeErrors } from '../errors.js';
import { newId, nowIso } from '../../ids.js';
import { FeedPublisher } from '../feed.js';
import { LocalFailureCounter, LocalPresenceBoard, LocalSignals } from '../local.js';
import type {
  ApiToken,
  Attachment,
  Upload,
  Avatar,
  Gender,
  Member,
  Membership,
  Message,
  MessagePage,
  NewUser,
  PublicUser,
  RefreshUse,
  Role,
  Room,
  RoomEvent,
  RoomEventType,
  RoomKind,
  RoomWithMembership,
  Session,
  Store,
  User,
  UserPatch,
  UserWithSecret,
  Watermarks,
} from '../store.js';
import { FileBlobStore } from './file-blobs.js';
import { migrate } from './migrations.js';

type Row = Record<string, any>;

const USER_COLS = 'u.id, u.username, u.email, u.display_name, u.gender, u.avatar, u.created_at, u.updated_at';

function toPublicUser(r: Row, prefix = ''): PublicUser {
  return {
    id: r[`${prefix}id`],
    username: r[`${prefix}username`],
    displayName: r[`${prefix}display_name`],
    gender: r[`${prefix}gender`] as Gender,
    avatar: (r[`${prefix}avatar`] ?? null) as Avatar | null,
  };
}

function toUser(r: Row): User {
  return { ...toPublicUser(r), email: r.email, createdAt: r.created_at, updatedAt: r.updated_at };
}

function toRoom(r: Row): Room {
  return {
    id: r.id,
    name: r.name,
    topic: r.topic,
    kind: r.kind as RoomKind,
    ownerId: r.owner_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastSeq: r.last_seq,
  };
}

function toMembership(r: Row): Membership {
  return {
    roomId: r.room_id,
    userId: r.user_id,
    role: r.role as Role,
    joinedAt: r.joined_at,
    deliveredSeq: r.delivered_seq,
    readSeq: r.read_seq,
  };
}

function toSession(r: Row): Session {
  return { id: r.id, userId: r.user_id, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at ?? null };
}

function toApiToken(r: Row): ApiToken {
  return { id: r.id, userId: r.user_id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at ?? null };
}

function toAttachment(r: Row): Attachment {
  return { id: r.id, mediaType: r.media_type, size: r.size, width: r.width, height: r.height };
}

function toUpload(r: Row): Upload {
  return { ...toAttachment(r), ownerId: r.owner_id, roomId: r.room_id, messageSeq: r.message_seq ?? null, createdAt: r.created_at };
}

function toEvent(r: Row): RoomEvent {
  const data = JSON.parse(r.data) as { actor: PublicUser | null; payload: Record<string, unknown> };
  return { roomId: r.room_id, seq: r.seq, type: r.type as RoomEventType, actor: data.actor, at: r.at, payload: data.payload };
}

const MESSAGE_SELECT = `
  SELECT m.room_id, m.seq, m.text, m.attachments, m.created_at, m.edited_at, m.deleted_at, m.client_id,
         u.id AS a_id, u.username AS a_username, u.display_name AS a_display_name, u.gender AS a_gender, u.avatar AS a_avatar
  FROM messages m JOIN users u ON u.id = m.author_id`;

function toMessage(r: Row): Message {
  return {
    roomId: r.room_id,
    seq: r.seq,
    author: toPublicUser(r, 'a_'),
    text: r.text ?? null,
    attachments: JSON.parse(r.attachments) as Attachment[],
    createdAt: r.created_at,
    editedAt: r.edited_at ?? null,
    deletedAt: r.deleted_at ?? null,
    clientId: r.client_id ?? null,
  };
}

/** Appends one event inside a commit; the payload may depend on the event's seq and time. */
type Append = (
  roomId: string,
  type: RoomEventType,
  actor: PublicUser | null,
  payload: Record<string, unknown> | ((seq: number, at: string) => Record<string, unknown>),
) => RoomEvent;

function isUniqueViolation(err: unknown): err is Error & { code: string } {
  return typeof err === 'object' && err !== null && String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT');
}

/** A write waiting for the next group commit. */
interface Job {
  fn: (append: Append) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every write transaction runs
 * to completion before any other JavaScript runs: per-room seq order is commit order, and the feed publishes each
 * committed event after its transaction, in that order.
 *
 * Appends use group commit: the ones requested while the process handles one batch of I/O (one event-loop turn)
 * run in ONE transaction, each in its own savepoint, so that under SQLITE_SYNCHRONOUS=FULL many concurrent posts
 * share one fsync. One that throws rolls back to its savepoint alone; none answers before the commit. The feed gets
 * a batch's events in the turn after the commit, so answers do not wait for the fan-out.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly feed: FeedPublisher;
  readonly blobs: FileBlobStore;
  /** One process is the whole deployment: signals and presence stay in memory. */
  readonly signals: LocalSignals;
  readonly presence: LocalPresenceBoard;
  readonly failures = new LocalFailureCounter();
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<SqliteStore['prepare']>;
  private queue: Job[] = [];
  private flushTimer: NodeJS.Immediate | null = null;

  constructor(opts: { file: string; synchronous?: 'FULL' | 'NORMAL'; onFeedError?: (err: unknown) => void; blobDir?: string }) {
    if (opts.file !== ':memory:') mkdirSync(path.dirname(opts.file), { recursive: true });
    this.blobs = new FileBlobStore(opts.blobDir ?? path.join(path.dirname(opts.file), 'uploads'));
    this.db = new Database(opts.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.stmts = this.prepare();
    this.feed = new FeedPublisher(opts.onFeedError);
    this.signals = new LocalSignals(opts.onFeedError);
    this.presence = new LocalPresenceBoard(opts.onFeedError);
  }

  private prepare() {
    const db = this.db;
    return {
      insertUser: db.prepare(
        `INSERT INTO users (id, username, email, password_hash, display_name, gender, avatar, created_at, updated_at)
         VALUES (@id, @username, @email, @passwordHash, @displayName, @gender, @avatar, @now, @now)`,
      ),
      userById: db.prepare(`SELECT ${USER_COLS}, u.password_hash FROM users u WHERE u.id = ?`),
      userByLogin: db.prepare(`SELECT ${USER_COLS}, u.password_hash FROM users u WHERE u.username = @login OR u.email = @login`),
      userByUsername: db.prepare(`SELECT ${USER_COLS} FROM users u WHERE u.username = ?`),
      insertSession: db.prepare(`INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`),
      sessionById: db.prepare(`SELECT * FROM sessions WHERE id = ?`),
      revokeSession: db.prepare(`UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`),
      liveSessionsOfUser: db.prepare(`SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?`),
      insertRefresh: db.prepare(`INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES (?, ?, ?)`),
      refreshByHash: db.prepare(`SELECT * FROM refresh_tokens WHERE token_hash = ?`),
      markRefreshUsed: db.prepare(`UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`),
      deleteExpiredRefresh: db.prepare(`DELETE FROM refresh_tokens WHERE expires_at < ?`),
      insertApiToken: db.prepare(
        `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      apiTokensOfUser: db.prepare(`SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id`),
      deleteApiToken: db.prepare(`DELETE FROM api_tokens WHERE user_id = ? AND id = ?`),
      apiTokenByHash: db.prepare(`SELECT * FROM api_tokens WHERE token_hash = ?`),
      touchApiToken: db.prepare(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`),
      insertRoom: db.prepare(
        `INSERT INTO rooms (id, name, topic, kind, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      roomById: db.prepare(`SELECT * FROM rooms WHERE id = ? AND deleted_at IS NULL`),
      roomsForUser: db.prepare(
        `SELECT r.*, m.room_id AS m_room_id, m.user_id, m.role, m.joined_at, m.delivered_seq, m.read_seq,
           CASE WHEN m.user_id IS NULL THEN 0 ELSE (
             SELECT count(*) FROM messages x
             WHERE x.room_id = r.id AND x.seq > m.read_seq AND x.author_id != @me AND x.deleted_at IS NULL
           ) END AS unread,
           p.id AS p_id, p.username AS p_username, p.display_name AS p_display_name, p.gender AS p_gender, p.avatar AS p_avatar
         FROM rooms r
         LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = @me
         LEFT JOIN memberships pm ON r.kind = 'direct' AND pm.room_id = r.id AND pm.user_id != @me
         LEFT JOIN users p ON p.id = pm.user_id
         WHERE r.deleted_at IS NULL AND (m.user_id IS NOT NULL OR r.kind = 'public')
         ORDER BY r.created_at DESC, r.id`,
      ),
      directRoom: db.prepare(`SELECT * FROM rooms WHERE direct_key = ? AND deleted_at IS NULL`),
      insertDirectRoom: db.prepare(
        `INSERT INTO rooms (id, name, topic, kind, owner_id, created_at, updated_at, direct_key) VALUES (?, ?, '', 'direct', ?, ?, ?, ?)`,
      ),
      roomsOfUser: db.prepare(
        `SELECT m.room_id FROM memberships m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ? AND r.deleted_at IS NULL`,
      ),
      markDelivered: db.prepare(
        `UPDATE memberships SET delivered_seq = max(delivered_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId)))
         WHERE room_id = @roomId AND user_id = @userId`,
      ),
      markRead: db.prepare(
        `UPDATE memberships SET
           read_seq = max(read_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId))),
           delivered_seq = max(delivered_seq, min(@seq, (SELECT last_seq FROM rooms WHERE id = @roomId)))
         WHERE room_id = @roomId AND user_id = @userId`,
      ),
      watermarks: db.prepare(`SELECT min(delivered_seq) AS delivered, min(read_seq) AS read FROM memberships WHERE room_id = ?`),
      bumpSeq: db.prepare(`UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? AND deleted_at IS NULL RETURNING last_seq`),
      updateRoom: db.prepare(
        `UPDATE rooms SET name = coalesce(@name, name), topic = coalesce(@topic, topic), updated_at = @now
         WHERE id = @id AND deleted_at IS NULL`,
      ),
      deleteRoom: db.prepare(`UPDATE rooms SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`),
      insertEvent: db.prepare(`INSERT INTO room_events (room_id, seq, type, actor_id, at, data) VALUES (?, ?, ?, ?, ?, ?)`),
      eventsAfter: db.prepare(`SELECT * FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
      membership: db.prepare(`SELECT * FROM memberships WHERE room_id = ? AND user_id = ?`),
      insertMembership: db.prepare(
        `INSERT INTO memberships (room_id, user_id, role, joined_at, delivered_seq, read_seq) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      deleteMembership: db.prepare(`DELETE FROM memberships WHERE room_id = ? AND user_id = ?`),
      setRole: db.prepare(`UPDATE memberships SET role = ? WHERE room_id = ? AND user_id = ?`),
      setOwner: db.prepare(`UPDATE rooms SET owner_id = ?, updated_at = ? WHERE id = ?`),
      members: db.prepare(
        `SELECT m.*, ${USER_COLS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.username`,
      ),
      insertMessage: db.prepare(
        `INSERT INTO messages (room_id, seq, author_id, text, attachments, created_at, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      messageByClientId: db.prepare(`${MESSAGE_SELECT} WHERE m.room_id = ? AND m.author_id = ? AND m.client_id = ?`),
      message: db.prepare(`${MESSAGE_SELECT} WHERE m.room_id = ? AND m.seq = ?`),
      editMessage: db.prepare(`UPDATE messages SET text = ?, edited_at = ? WHERE room_id = ? AND seq = ? AND deleted_at IS NULL`),
      deleteMessage: db.prepare(
        `UPDATE messages SET text = NULL, attachments = '[]', deleted_at = ? WHERE room_id = ? AND seq = ? AND deleted_at IS NULL`,
      ),
      messagesLatest: db.prepare(`${MESSAGE_SELECT} WHERE m.room_id = ? ORDER BY m.seq DESC LIMIT ?`),
      messagesBefore: db.prepare(`${MESSAGE_SELECT} WHERE m.room_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`),
      messagesAfter: db.prepare(`${MESSAGE_SELECT} WHERE m.room_id = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?`),
      insertUpload: db.prepare(
        `INSERT INTO uploads (id, owner_id, room_id, media_type, size, width, height, created_at)
         VALUES (@id, @ownerId, @roomId, @mediaType, @size, @width, @height, @createdAt)`,
      ),
      uploadById: db.prepare(`SELECT * FROM uploads WHERE id = ?`),
      useUpload: db.prepare(`UPDATE uploads SET message_seq = ? WHERE id = ? AND owner_id = ? AND room_id = ? AND message_seq IS NULL`),
      uploadsOfMessage: db.prepare(`SELECT * FROM uploads WHERE room_id = ? AND message_seq = ?`),
      deleteUploadsOfMessage: db.prepare(`DELETE FROM uploads WHERE room_id = ? AND message_seq = ?`),
      unusedUploads: db.prepare(`SELECT * FROM uploads WHERE message_seq IS NULL AND created_at < ?`),
      deleteUpload: db.prepare(`DELETE FROM uploads WHERE id = ?`),
    };
  }

  /**
   * Runs `fn` atomically in the next group commit; `append` adds a RoomEvent and bumps the room's lastSeq inside it.
   * Resolves after the commit; the events reach the feed right after, in commit order (DESIGN invariant 1). Rejects
   * with what `fn` threw, having written nothing.
   */
  private commit<T>(fn: (append: Append) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      // setImmediate runs after the poll phase: every request whose body arrived in this turn has queued its write.
      this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  /** Commits every queued job in one transaction, each in a savepoint (a nested better-sqlite3 transaction). */
  private flush(): void {
    this.flushTimer = null;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    if (!this.db.open) {
      for (const job of jobs) job.reject(new Error('the store is closed'));
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown; events: RoomEvent[] } | { ok: false; error: unknown }> = [];
    try {
      this.db.transaction(() => {
        for (const job of jobs) {
          const events: RoomEvent[] = [];
          try {
            const value = this.db.transaction(() => job.fn(this.appender(events)))();
            outcomes.push({ ok: true, value, events });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      for (const job of jobs) job.reject(error);
      return;
    }
    const committed: RoomEvent[] = [];
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) return job.reject(outcome.error);
      committed.push(...outcome.events);
      job.resolve(outcome.value);
    });
    // The feed gets the events in the next turn: the writers' answers (a POST's 201) go out first instead of waiting
    // for a fan-out to thousands of streams. Turns run in order, so batches are published in commit order.
    if (committed.length > 0) setImmediate(() => this.publish(committed));
  }

  private publish(events: RoomEvent[]): void {
    for (const event of events) this.feed.publish(event);
  }

  private appender(events: RoomEvent[]): Append {
    return (roomId, type, actor, payloadOf) => {
      const bumped = this.stmts.bumpSeq.get(roomId) as Row | undefined;
      if (!bumped) throw storeErrors.roomNotFound();
      const seq = bumped.last_seq as number;
      const at = nowIso();
      const payload = typeof payloadOf === 'function' ? payloadOf(seq, at) : payloadOf;
      const event: RoomEvent = { roomId, seq, type, actor, at, payload };
      this.stmts.insertEvent.run(roomId, event.seq, type, actor?.id ?? null, event.at, JSON.stringify({ actor, payload }));
      events.push(event);
      return event;
    };
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flush(); // what was asked before close is committed (or refused), never left hanging
    if (this.db.open) this.db.close();
  }

  // ---- users

  async createUser(input: NewUser): Promise<User> {
    const id = newId();
    try {
      this.stmts.insertUser.run({ ...input, id, now: nowIso() });
    } catch (err) {
      if (isUniqueViolation(err)) {
        if (err.message.includes('users.username')) throw storeErrors.usernameTaken();
        if (err.message.includes('users.email')) throw storeErrors.emailTaken();
      }
      throw err;
    }
    return (await this.getUser(id))!;
  }

  async getUser(id: string): Promise<User | null> {
    const r = this.stmts.userById.get(id) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async getUserSecret(id: string): Promise<UserWithSecret | null> {
    const r = this.stmts.userById.get(id) as Row | undefined;
    return r ? { ...toUser(r), passwordHash: r.password_hash } : null;
  }

  async findUserForLogin(login: string): Promise<UserWithSecret | null> {
    const r = this.stmts.userByLogin.get({ login }) as Row | undefined;
    return r ? { ...toUser(r), passwordHash: r.password_hash } : null;
  }

  async findUserByUsername(username: string): Promise<User | null> {
    const r = this.stmts.userByUsername.get(username) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async updateUser(id: string, patch: UserPatch): Promise<User> {
    const sets: string[] = [];
    const values: Record<string, unknown> = { id, now: nowIso() };
    if (patch.displayName !== undefined) (sets.push('display_name = @displayName'), (values.displayName = patch.displayName));
    if (patch.gender !== undefined) (sets.push('gender = @gender'), (values.gender = patch.gender));
    if (patch.avatar !== undefined) (sets.push('avatar = @avatar'), (values.avatar = patch.avatar));
    if (patch.passwordHash !== undefined) (sets.push('password_hash = @passwordHash'), (values.passwordHash = patch.passwordHash));
    sets.push('updated_at = @now');
    const info = this.db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = @id`).run(values);
    if (info.changes === 0) throw storeErrors.userNotFound();
    return (await this.getUser(id))!;
  }

  // ---- sessions and tokens

  async createSession(input: { userId: string; expiresAt: string }): Promise<Session> {
    const id = newId();
    this.stmts.insertSession.run(id, input.userId, nowIso(), input.expiresAt);
    return toSession(this.stmts.sessionById.get(id) as Row);
  }

  async getSession(id: string): Promise<Session | null> {
    const r = this.stmts.sessionById.get(id) as Row | undefined;
    return r ? toSession(r) : null;
  }

  async revokeSession(id: string): Promise<void> {
    this.stmts.revokeSession.run(nowIso(), id);
  }

  async revokeUserSessions(userId: string, exceptSessionId?: string): Promise<string[]> {
    return this.db.transaction(() => {
      const ids = (this.stmts.liveSessionsOfUser.all(userId, exceptSessionId ?? null) as Row[]).map((r) => r.id as string);
      const now = nowIso();
      for (const id of ids) this.stmts.revokeSession.run(now, id);
      return ids;
    })();
  }

  async addRefreshToken(input: { sessionId: string; tokenHash: string; expiresAt: string }): Promise<void> {
    this.stmts.insertRefresh.run(input.tokenHash, input.sessionId, input.expiresAt);
  }

  async useRefreshToken(tokenHash: string, now: string): Promise<RefreshUse> {
    return this.db.transaction((): RefreshUse => {
      this.stmts.deleteExpiredRefresh.run(now);
      const token = this.stmts.refreshByHash.get(tokenHash) as Row | undefined;
      if (!token) return { status: 'invalid' };
      if (token.used_at) {
        this.stmts.revokeSession.run(now, token.session_id);
        return { status: 'reused', sessionId: token.session_id };
      }
      this.stmts.markRefreshUsed.run(now, tokenHash);
      const session = toSession(this.stmts.sessionById.get(token.session_id) as Row);
      if (session.revokedAt || session.expiresAt <= now) return { status: 'invalid' };
      return { status: 'ok', session };
    })();
  }

  async createApiToken(input: { userId: string; name: string; tokenHash: string }): Promise<ApiToken> {
    const id = newId();
    this.stmts.insertApiToken.run(id, input.userId, input.name, input.tokenHash, nowIso());
    return toApiToken(this.stmts.apiTokenByHash.get(input.tokenHash) as Row);
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    return (this.stmts.apiTokensOfUser.all(userId) as Row[]).map(toApiToken);
  }

  async deleteApiToken(userId: string, id: string): Promise<boolean> {
    return this.stmts.deleteApiToken.run(userId, id).changes > 0;
  }

  async useApiToken(tokenHash: string, now: string): Promise<ApiToken | null> {
    const r = this.stmts.apiTokenByHash.get(tokenHash) as Row | undefined;
    if (!r) return null;
    // A write (and its fsync) per request would halve a script's posting rate; the minute is what a user reads.
    if (r.last_used_at && Date.parse(now) - Date.parse(r.last_used_at) < 60_000) return toApiToken(r);
    this.stmts.touchApiToken.run(now, r.id);
    return { ...toApiToken(r), lastUsedAt: now };
  }

  // ---- rooms

  async createRoom(input: { name: string; topic: string; kind: RoomKind; owner: PublicUser }): Promise<{ room: Room; event: RoomEvent }> {
    const id = newId();
    return this.commit((append) => {
      const now = nowIso();
      this.stmts.insertRoom.run(id, input.name, input.topic, input.kind, input.owner.id, now, now);
      this.stmts.insertMembership.run(id, input.owner.id, 'owner', now, 0, 0);
      const event = append(id, 'member.joined', input.owner, { user: input.owner, role: 'owner' });
      return { room: toRoom(this.stmts.roomById.get(id) as Row), event };
    });
  }

  async getRoom(id: string): Promise<Room | null> {
    const r = this.stmts.roomById.get(id) as Row | undefined;
    return r ? toRoom(r) : null;
  }

  async listRoomsForUser(userId: string): Promise<RoomWithMembership[]> {
    return (this.stmts.roomsForUser.all({ me: userId }) as Row[]).map((r) => ({
      room: toRoom(r),
      membership: r.user_id ? toMembership({ ...r, room_id: r.m_room_id }) : null,
      unread: r.unread as number,
      peer: r.p_id ? toPublicUser(r, 'p_') : null,
    }));
  }

  async updateRoom(roomId: string, actor: PublicUser, patch: { name?: string; topic?: string }): Promise<{ room: Room; event: RoomEvent }> {
    return this.commit((append) => {
      const info = this.stmts.updateRoom.run({ id: roomId, name: patch.name ?? null, topic: patch.topic ?? null, now: nowIso() });
      if (info.changes === 0) throw storeErrors.roomNotFound();
      const room = toRoom(this.stmts.roomById.get(roomId) as Row);
      const event = append(roomId, 'room.updated', actor, { name: room.name, topic: room.topic, changed: Object.keys(patch) });
      return { room: { ...room, lastSeq: event.seq }, event };
    });
  }

  async deleteRoom(roomId: string, actor: PublicUser): Promise<RoomEvent> {
    return this.commit((append) => {
      const event = append(roomId, 'room.deleted', actor, {});
      this.stmts.deleteRoom.run(event.at, roomId);
      return event;
    });
  }

  async getMembership(roomId: string, userId: string): Promise<Membership | null> {
    const r = this.stmts.membership.get(roomId, userId) as Row | undefined;
    return r ? toMembership(r) : null;
  }

  async listMembers(roomId: string): Promise<Member[]> {
    return (this.stmts.members.all(roomId) as Row[]).map((r) => ({
      ...toMembership(r),
      user: toPublicUser({ ...r, id: r.user_id }),
    }));
  }

  async addMember(roomId: string, user: PublicUser, role: Role, actor: PublicUser): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.commit((append) => {
      if (!this.stmts.roomById.get(roomId)) throw storeErrors.roomNotFound();
      if (this.stmts.membership.get(roomId, user.id)) throw storeErrors.alreadyMember(user.username);
      const room = this.stmts.roomById.get(roomId) as Row;
      // A newcomer has nothing delivered or read before joining: start both watermarks at the join.
      const base = room.last_seq as number;
      this.stmts.insertMembership.run(roomId, user.id, role, nowIso(), base, base);
      const event = append(roomId, 'member.joined', actor, { user, role });
      return { membership: toMembership(this.stmts.membership.get(roomId, user.id) as Row), event };
    });
  }

  async removeMember(roomId: string, user: PublicUser, actor: PublicUser, reason: 'left' | 'removed'): Promise<RoomEvent> {
    return this.commit((append) => {
      if (!this.stmts.roomById.get(roomId)) throw storeErrors.roomNotFound();
      if (this.stmts.deleteMembership.run(roomId, user.id).changes === 0) throw storeErrors.notAMember(user.username);
      return append(roomId, 'member.left', actor, { user, reason });
    });
  }

  async openDirectRoom(a: PublicUser, b: PublicUser): Promise<{ room: Room; created: boolean }> {
    const key = [a.id, b.id].sort().join(':');
    // SQLite runs one write transaction at a time, so check-then-insert cannot race; the unique index guards anyway.
    return this.commit((append) => {
      const existing = this.stmts.directRoom.get(key) as Row | undefined;
      if (existing) return { room: toRoom(existing), created: false };
      const id = newId();
      const now = nowIso();
      this.stmts.insertDirectRoom.run(id, `${a.username} & ${b.username}`, a.id, now, now, key);
      // Both are in the conversation from the start, each as their own joining (no one "added" the other).
      for (const user of [a, b]) {
        this.stmts.insertMembership.run(id, user.id, 'member', now, 0, 0);
        append(id, 'member.joined', user, { user, role: 'member' });
      }
      return { room: toRoom(this.stmts.roomById.get(id) as Row), created: true };
    });
  }

  async announceProfile(user: PublicUser): Promise<RoomEvent[]> {
    return this.commit((append) =>
      (this.stmts.roomsOfUser.all(user.id) as Row[]).map((r) => append(r.room_id, 'member.updated', user, { user })),
    );
  }

  async setRole(roomId: string, user: PublicUser, role: Role, actor: PublicUser): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.commit((append) => {
      const room = this.stmts.roomById.get(roomId) as Row | undefined;
      if (!room) throw storeErrors.roomNotFound();
      if (this.stmts.setRole.run(role, roomId, user.id).changes === 0) throw storeErrors.notAMember(user.username);
      const transfer = role === 'owner' && room.owner_id === actor.id && actor.id !== user.id;
      if (role === 'owner') this.stmts.setOwner.run(user.id, nowIso(), roomId);
      const event = append(roomId, 'member.role', actor, { user, role });
      if (transfer) {
        this.stmts.setRole.run('admin', roomId, actor.id);
        append(roomId, 'member.role', actor, { user: actor, role: 'admin' });
      }
      return { membership: toMembership(this.stmts.membership.get(roomId, user.id) as Row), event };
    });
  }

  // ---- messages

  async postMessage(
    roomId: string,
    author: PublicUser,
    input: { text: string | null; attachments: string[]; clientId?: string | null },
  ): Promise<{ message: Message; created: boolean }> {
    const clientId = input.clientId ?? null;
    return this.commit((append) => {
      if (clientId !== null) {
        const earlier = this.stmts.messageByClientId.get(roomId, author.id, clientId) as Row | undefined;
        if (earlier) return { message: toMessage(earlier), created: false };
      }
      // The event carries the message; the message's seq and time are its creation event's.
      let message!: Message;
      let attachments: Attachment[] = [];
      const event = append(roomId, 'message.created', author, (seq, at) => {
        attachments = input.attachments.map((id) => {
          if (this.stmts.useUpload.run(seq, id, author.id, roomId).changes === 0) {
            throw storeErrors.invalidAttachment(id);
          }
          return toAttachment(this.stmts.uploadById.get(id) as Row);
        });
        message = { roomId, seq, author, text: input.text, attachments, createdAt: at, editedAt: null, deletedAt: null, clientId };
        return { message };
      });
      this.stmts.insertMessage.run(roomId, event.seq, author.id, input.text, JSON.stringify(attachments), event.at, clientId);
      // Whoever posts has the room up to their own message: it counts as delivered to and read by them.
      this.stmts.markRead.run({ roomId, userId: author.id, seq: event.seq });
      return { message, created: true };
    });
  }

  async editMessage(roomId: string, seq: number, actor: PublicUser, text: string): Promise<{ message: Message; event: RoomEvent }> {
    return this.commit((append) => {
      const at = nowIso();
      if (this.stmts.editMessage.run(text, at, roomId, seq).changes === 0) throw storeErrors.messageNotFound();
      const message = toMessage(this.stmts.message.get(roomId, seq) as Row);
      const event = append(roomId, 'message.edited', actor, { message });
      return { message, event };
    });
  }

  async deleteMessage(roomId: string, seq: number, actor: PublicUser): Promise<{ message: Message; event: RoomEvent; removedUploads: Upload[] }> {
    return this.commit((append) => {
      const at = nowIso();
      if (this.stmts.deleteMessage.run(at, roomId, seq).changes === 0) throw storeErrors.messageNotFound();
      const message = toMessage(this.stmts.message.get(roomId, seq) as Row);
      const removedUploads = (this.stmts.uploadsOfMessage.all(roomId, seq) as Row[]).map(toUpload);
      this.stmts.deleteUploadsOfMessage.run(roomId, seq);
      const event = append(roomId, 'message.deleted', actor, { seq, message });
      return { message, event, removedUploads };
    });
  }

  async createUpload(upload: Omit<Upload, 'messageSeq' | 'createdAt'>): Promise<Upload> {
    this.stmts.insertUpload.run({ ...upload, createdAt: nowIso() });
    return toUpload(this.stmts.uploadById.get(upload.id) as Row);
  }

  async getUpload(id: string): Promise<Upload | null> {
    const r = this.stmts.uploadById.get(id) as Row | undefined;
    return r ? toUpload(r) : null;
  }

  async removeUnusedUploads(before: string): Promise<Upload[]> {
    return this.db.transaction(() => {
      const gone = (this.stmts.unusedUploads.all(before) as Row[]).map(toUpload);
      for (const u of gone) this.stmts.deleteUpload.run(u.id);
      return gone;
    })();
  }

  async getMessage(roomId: string, seq: number): Promise<Message | null> {
    const r = this.stmts.message.get(roomId, seq) as Row | undefined;
    return r ? toMessage(r) : null;
  }

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    let rows: Row[];
    if (page.after !== undefined) rows = this.stmts.messagesAfter.all(roomId, page.after, page.limit) as Row[];
    else if (page.before !== undefined) rows = this.stmts.messagesBefore.all(roomId, page.before, page.limit) as Row[];
    else rows = this.stmts.messagesLatest.all(roomId, page.limit) as Row[];
    return rows.map(toMessage);
  }

  async markDelivered(entries: Array<{ roomId: string; userId: string; seq: number }>): Promise<void> {
    this.db.transaction(() => {
      for (const e of entries) this.stmts.markDelivered.run(e);
    })();
  }

  async markRead(roomId: string, userId: string, seq: number): Promise<Membership | null> {
    this.stmts.markRead.run({ roomId, userId, seq });
    return this.getMembership(roomId, userId);
  }

  async watermarks(roomId: string): Promise<Watermarks> {
    const r = this.stmts.watermarks.get(roomId) as Row;
    return { deliveredSeq: r.delivered ?? 0, readSeq: r.read ?? 0 };
  }

  async eventsAfter(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    return (this.stmts.eventsAfter.all(roomId, afterSeq, limit) as Row[]).map(toEvent);
  }
}
