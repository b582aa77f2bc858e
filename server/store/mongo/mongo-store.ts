import mongoose, { mongo, type ClientSession, type Connection } from 'mongoose';
import { StoreError, storeErrors } from '../errors.js';
import { newId, nowIso } from '../../ids.js';
import { FeedPublisher } from '../feed.js';
import type {
  ApiToken,
  Attachment,
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
  Upload,
  User,
  UserPatch,
  UserWithSecret,
  Watermarks,
} from '../store.js';
import { ChangeWatcher, toRoomEvent } from './change-watcher.js';
import { GridFsBlobStore } from './gridfs-blobs.js';
import { MongoFailureCounter } from './failures.js';
import { MongoPresenceBoard } from './presence.js';
import { MongoSignals } from './signals.js';
import {
  defineModels,
  UNUSED,
  type ApiTokenDoc,
  type EventDoc,
  type FailureDoc,
  type MembershipDoc,
  type MessageDoc,
  type Models,
  type PresenceDoc,
  type RefreshTokenDoc,
  type RoomDoc,
  type SessionDoc,
  type SignalDoc,
  type UploadDoc,
  type UserDoc,
} from './models.js';

export interface MongoStoreOptions {
  /** Database to use instead of the one named in the URI (tests use a fresh one per run). */
  dbName?: string;
  /** Change-stream failures and listener errors; the default writes one line to stderr. */
  onFeedError?: (err: unknown, what: string) => void;
  /** How long an instance's presence outlives its last heartbeat (PRESENCE_TTL_MS); default 30 s. */
  presenceTtlMs?: number;
}

/** The payload function may write inside the transaction once the seq is known (postMessage claims its uploads). */
type Append = (
  roomId: string,
  type: RoomEventType,
  actor: PublicUser | null,
  payload: Record<string, unknown> | ((seq: number, at: string) => Record<string, unknown> | Promise<Record<string, unknown>>),
) => Promise<RoomEvent>;

/**
 * Appends run as multi-document transactions: snapshot reads, majority-acknowledged commit, primary only. A commit
 * acknowledged by a majority survives any failover, so a POST never answers 201 for an event that is later rolled
 * back; and the change stream (which only returns majority-committed changes) sees it.
 */
const TXN_OPTIONS: mongo.TransactionOptions = {
  readPreference: 'primary',
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
};

const ROLE_RANK: Record<Role, number> = { owner: 0, admin: 1, member: 2 };

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Stored event data is exactly what JSON would carry (no undefined fields), as clients and the SQLite store see it. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function toPublicUser(u: UserDoc): PublicUser {
  return { id: u._id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar ?? null };
}

function toUser(u: UserDoc): User {
  return { ...toPublicUser(u), email: u.email, createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt) };
}

function toUserWithSecret(u: UserDoc): UserWithSecret {
  return { ...toUser(u), passwordHash: u.passwordHash };
}

function toRoom(r: RoomDoc): Room {
  return {
    id: r._id,
    name: r.name,
    topic: r.topic,
    kind: r.kind,
    ownerId: r.ownerId,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    lastSeq: r.lastSeq,
  };
}

function toMembership(m: MembershipDoc): Membership {
  return { roomId: m.roomId, userId: m.userId, role: m.role, joinedAt: iso(m.joinedAt), deliveredSeq: m.deliveredSeq, readSeq: m.readSeq };
}

function toSession(s: SessionDoc): Session {
  return { id: s._id, userId: s.userId, createdAt: iso(s.createdAt), expiresAt: iso(s.expiresAt), revokedAt: isoOrNull(s.revokedAt) };
}

function toApiToken(t: ApiTokenDoc): ApiToken {
  return { id: t._id, userId: t.userId, name: t.name, createdAt: iso(t.createdAt), lastUsedAt: isoOrNull(t.lastUsedAt) };
}

function toAttachment(a: Attachment): Attachment {
  return { id: a.id, mediaType: a.mediaType, size: a.size, width: a.width, height: a.height };
}

function toUpload(u: UploadDoc): Upload {
  const attachment = toAttachment({ ...u, id: u._id });
  return { ...attachment, ownerId: u.ownerId, roomId: u.roomId, messageSeq: u.messageSeq ?? null, createdAt: iso(u.createdAt) };
}

function toMessage(m: MessageDoc, author: PublicUser): Message {
  return {
    roomId: m.roomId,
    seq: m.seq,
    author,
    text: m.text ?? null,
    attachments: (m.attachments ?? []).map(toAttachment),
    createdAt: iso(m.createdAt),
    editedAt: isoOrNull(m.editedAt),
    deletedAt: isoOrNull(m.deletedAt),
    clientId: m.clientId ?? null,
  };
}

/** E11000: a unique index refused the write; keyPattern names the index's fields. */
function duplicateKey(err: unknown): { keyPattern: Record<string, unknown>; message: string } | null {
  const e = err as { code?: unknown; keyPattern?: Record<string, unknown>; message?: string } | null;
  if (typeof e !== 'object' || e === null || e.code !== 11000) return null;
  return { keyPattern: e.keyPattern ?? {}, message: String(e.message ?? '') };
}

const roomNotFound = storeErrors.roomNotFound;
const invalidAttachment = storeErrors.invalidAttachment;

/**
 * The scale-out store: every instance shares one MongoDB replica set. Writes that append to a room's log run in one
 * multi-document transaction (event + read model + room lastSeq); the feed is one change stream per process (see
 * ChangeWatcher), so an event committed by any instance reaches every instance's hub. The same stream carries
 * signals (typing, receipts) and presence between instances.
 *
 * Per-room order: an append increments the room's lastSeq with findOneAndUpdate inside the transaction. That write
 * takes the room document's write lock until commit, so a concurrent append to the same room hits a WriteConflict
 * (a TransientTransactionError), aborts and is retried by withTransaction against the newer snapshot. Seqs are
 * therefore handed out in commit order, with no gap (an aborted attempt leaves nothing) and no reuse (plus the
 * unique (roomId, seq) index as a second guard) — DESIGN invariants 1 and 2.
 */
export class MongoStore implements Store {
  readonly kind = 'mongo' as const;
  readonly feed: FeedPublisher;
  readonly blobs: GridFsBlobStore;
  readonly signals: MongoSignals;
  readonly presence: MongoPresenceBoard;
  readonly failures: MongoFailureCounter;
  private readonly m: Models;
  private readonly watcher: ChangeWatcher;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly conn: Connection,
    report: (err: unknown, what: string) => void,
    presenceTtlMs: number,
  ) {
    const db = conn.db!;
    this.m = defineModels(conn);
    this.blobs = new GridFsBlobStore(db);
    this.feed = new FeedPublisher((err) => report(err, 'feed listener failed'));
    this.failures = new MongoFailureCounter(db.collection<FailureDoc>(this.m.failures.collection.collectionName));
    this.signals = new MongoSignals(db.collection<SignalDoc>(this.m.signals.collection.collectionName), report);
    this.presence = new MongoPresenceBoard(
      db.collection<PresenceDoc>(this.m.presence.collection.collectionName),
      async () => (await db.command({ hello: 1 })).localTime as Date,
      async (id) => (await this.publicUsers([id])).get(id) ?? null,
      presenceTtlMs,
      report,
    );
    this.watcher = new ChangeWatcher(
      db,
      {
        event: (doc: EventDoc) => this.feed.publish(toRoomEvent(doc)),
        signal: (doc) => this.signals.received(doc),
        presence: (id) => this.presence.changed(id),
        reset: () => {
          this.feed.reset();
          this.presence.resync();
        },
        live: (value) => (this.feed.live = value),
      },
      report,
    );
  }

  /** Connects, checks for a replica set, creates collections and indexes, and starts the change stream. */
  static async connect(uri: string, opts: MongoStoreOptions = {}): Promise<MongoStore> {
    const report =
      opts.onFeedError ??
      ((err: unknown, what: string) => process.stderr.write(`parley: mongo: ${what}: ${err instanceof Error ? err.message : String(err)}\n`));
    const conn = mongoose.createConnection(uri, {
      // mongoose selects this database on the client; authentication stays as the URI says.
      ...(opts.dbName ? { dbName: opts.dbName } : {}),
      // Collections and indexes are made explicitly below, once, before serving (not lazily per model).
      autoIndex: false,
      autoCreate: false,
      // No mongoose-level queue while disconnected: the driver itself waits for a primary (serverSelectionTimeoutMS,
      // enough to ride out an election) and then fails the operation, which the client sees as a 5xx to retry.
      bufferCommands: false,
      // Writes outside transactions (users, tokens) are majority-acknowledged too, so they survive a failover.
      writeConcern: { w: 'majority' },
      retryWrites: true,
      retryReads: true,
    });
    try {
      await conn.asPromise();
      const hello = await conn.db!.admin().command({ hello: 1 });
      if (!hello.setName && hello.msg !== 'isdbgrid') {
        throw new Error('MongoDB is a standalone server; Parley needs a replica set (transactions and change streams). See docs/mongodb.md');
      }
      const store = new MongoStore(conn, report, Math.min(Math.max(opts.presenceTtlMs ?? 30_000, 3000), 300_000));
      await store.prepare();
      await store.watcher.start();
      await store.presence.start();
      return store;
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
  }

  /** Creates every collection (a transaction must not be the first writer of a collection) and every index. */
  private async prepare(): Promise<void> {
    for (const model of Object.values(this.m)) {
      await model.createCollection(); // ignores "already exists"
      await model.createIndexes(); // createIndex is a no-op for an index that already exists as specified
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.presence.close();
      await this.watcher.close();
      await this.conn.close();
    })();
    return this.closing;
  }

  /**
   * Runs `fn` in one transaction (mongoose's connection.transaction = session.withTransaction), which retries the
   * whole callback on TransientTransactionError (write conflicts, elections) and retries the commit on
   * UnknownTransactionCommitResult. The callback therefore recomputes everything on each attempt. A short random
   * pause before a retry spreads out writers contending for one hot room. A StoreError thrown by `fn` aborts the
   * transaction and is rethrown: nothing is written.
   */
  private async transact<T>(fn: (session: ClientSession, append: Append) => Promise<T>): Promise<T> {
    let attempt = 0;
    return this.conn.transaction(async (session) => {
      if (attempt++ > 0) await sleep(Math.random() * Math.min(5 * 2 ** attempt, 100));
      const append: Append = async (roomId, type, actor, payload) => {
        // The room's write lock: see the class comment. A deleted room takes no more events.
        const room = await this.m.rooms
          .findOneAndUpdate({ _id: roomId, deletedAt: null }, { $inc: { lastSeq: 1 } }, { session, new: true, projection: { lastSeq: 1 } })
          .lean<Pick<RoomDoc, 'lastSeq'>>()
          .exec();
        if (!room) throw roomNotFound();
        const at = nowIso();
        const body = typeof payload === 'function' ? await payload(room.lastSeq, at) : payload;
        const event: RoomEvent = { roomId, seq: room.lastSeq, type, actor: plain(actor), at, payload: plain(body) };
        await this.m.events.create([{ ...event, at: new Date(at) }], { session });
        return event;
      };
      return fn(session, append);
    }, TXN_OPTIONS);
  }

  // ---- users

  async createUser(input: NewUser): Promise<User> {
    const now = new Date();
    const doc: UserDoc = {
      _id: newId(),
      username: input.username,
      usernameKey: input.username.toLowerCase(),
      email: input.email,
      emailKey: input.email.toLowerCase(),
      passwordHash: input.passwordHash,
      displayName: input.displayName,
      gender: input.gender,
      avatar: input.avatar,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.m.users.create(doc);
    } catch (err) {
      const dup = duplicateKey(err);
      if (dup) {
        if ('usernameKey' in dup.keyPattern || dup.message.includes('usernameKey')) {
          throw storeErrors.usernameTaken();
        }
        if ('emailKey' in dup.keyPattern || dup.message.includes('emailKey')) {
          throw storeErrors.emailTaken();
        }
      }
      throw err;
    }
    return toUser(doc);
  }

  private async userDoc(filter: mongoose.FilterQuery<UserDoc>): Promise<UserDoc | null> {
    return this.m.users.findOne(filter).lean<UserDoc>().exec();
  }

  async getUser(id: string): Promise<User | null> {
    const u = await this.userDoc({ _id: id });
    return u ? toUser(u) : null;
  }

  async getUserSecret(id: string): Promise<UserWithSecret | null> {
    const u = await this.userDoc({ _id: id });
    return u ? toUserWithSecret(u) : null;
  }

  async findUserForLogin(login: string): Promise<UserWithSecret | null> {
    const key = login.toLowerCase();
    const u = await this.userDoc({ $or: [{ usernameKey: key }, { emailKey: key }] });
    return u ? toUserWithSecret(u) : null;
  }

  async findUserByUsername(username: string): Promise<User | null> {
    const u = await this.userDoc({ usernameKey: username.toLowerCase() });
    return u ? toUser(u) : null;
  }

  async updateUser(id: string, patch: UserPatch): Promise<User> {
    const set: Partial<UserDoc> = { updatedAt: new Date() };
    if (patch.displayName !== undefined) set.displayName = patch.displayName;
    if (patch.gender !== undefined) set.gender = patch.gender;
    if (patch.avatar !== undefined) set.avatar = patch.avatar;
    if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
    const u = await this.m.users.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean<UserDoc>().exec();
    if (!u) throw storeErrors.userNotFound();
    return toUser(u);
  }

  // ---- sessions and tokens

  async createSession(input: { userId: string; expiresAt: string }): Promise<Session> {
    const doc: SessionDoc = { _id: newId(), userId: input.userId, createdAt: new Date(), expiresAt: new Date(input.expiresAt), revokedAt: null };
    await this.m.sessions.create(doc);
    return toSession(doc);
  }

  async getSession(id: string): Promise<Session | null> {
    const s = await this.m.sessions.findOne({ _id: id }).lean<SessionDoc>().exec();
    return s ? toSession(s) : null;
  }

  async revokeSession(id: string): Promise<void> {
    await this.m.sessions.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: new Date() } }).exec();
  }

  async revokeUserSessions(userId: string, exceptSessionId?: string): Promise<string[]> {
    const filter: mongoose.FilterQuery<SessionDoc> = { userId, revokedAt: null };
    if (exceptSessionId !== undefined) filter._id = { $ne: exceptSessionId };
    const live = await this.m.sessions.find(filter, { _id: 1 }).lean<Array<Pick<SessionDoc, '_id'>>>().exec();
    const ids = live.map((s) => s._id);
    if (ids.length > 0) await this.m.sessions.updateMany({ _id: { $in: ids }, revokedAt: null }, { $set: { revokedAt: new Date() } }).exec();
    return ids;
  }

  async addRefreshToken(input: { sessionId: string; tokenHash: string; expiresAt: string }): Promise<void> {
    await this.m.refreshTokens.create({ _id: input.tokenHash, sessionId: input.sessionId, expiresAt: new Date(input.expiresAt), usedAt: null });
  }

  /**
   * Marking the token used is one atomic findOneAndUpdate (filter usedAt: null), so of two concurrent uses exactly
   * one wins; the other finds it used, which is a replay, and revokes the session. Expired tokens count as missing
   * (the TTL index deletes them only about once a minute).
   */
  async useRefreshToken(tokenHash: string, now: string): Promise<RefreshUse> {
    const at = new Date(now);
    const claimed = await this.m.refreshTokens
      .findOneAndUpdate({ _id: tokenHash, usedAt: null, expiresAt: { $gte: at } }, { $set: { usedAt: at } }, { new: true })
      .lean<RefreshTokenDoc>()
      .exec();
    if (!claimed) {
      const token = await this.m.refreshTokens.findOne({ _id: tokenHash, expiresAt: { $gte: at } }).lean<RefreshTokenDoc>().exec();
      if (!token || !token.usedAt) return { status: 'invalid' };
      await this.m.sessions.updateOne({ _id: token.sessionId, revokedAt: null }, { $set: { revokedAt: at } }).exec();
      return { status: 'reused', sessionId: token.sessionId };
    }
    const s = await this.m.sessions.findOne({ _id: claimed.sessionId }).lean<SessionDoc>().exec();
    if (!s) return { status: 'invalid' };
    const session = toSession(s);
    if (session.revokedAt || session.expiresAt <= now) return { status: 'invalid' };
    return { status: 'ok', session };
  }

  async createApiToken(input: { userId: string; name: string; tokenHash: string }): Promise<ApiToken> {
    const doc: ApiTokenDoc = { _id: newId(), userId: input.userId, name: input.name, tokenHash: input.tokenHash, createdAt: new Date(), lastUsedAt: null };
    await this.m.apiTokens.create(doc);
    return toApiToken(doc);
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    const docs = await this.m.apiTokens.find({ userId }).sort({ createdAt: -1, _id: 1 }).lean<ApiTokenDoc[]>().exec();
    return docs.map(toApiToken);
  }

  async deleteApiToken(userId: string, id: string): Promise<boolean> {
    const res = await this.m.apiTokens.deleteOne({ _id: id, userId }).exec();
    return res.deletedCount > 0;
  }

  async useApiToken(tokenHash: string, now: string): Promise<ApiToken | null> {
    // Record the use at most once a minute: a majority write per request would cost a script most of its rate.
    const at = new Date(now);
    const stale = new Date(at.getTime() - 60_000);
    const touched = await this.m.apiTokens
      .findOneAndUpdate({ tokenHash, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: stale } }] }, { $set: { lastUsedAt: at } }, { new: true })
      .lean<ApiTokenDoc>()
      .exec();
    const t = touched ?? (await this.m.apiTokens.findOne({ tokenHash }).lean<ApiTokenDoc>().exec());
    return t ? toApiToken(t) : null;
  }

  // ---- rooms

  async createRoom(input: { name: string; topic: string; kind: RoomKind; owner: PublicUser }): Promise<{ room: Room; event: RoomEvent }> {
    const id = newId();
    return this.transact(async (session, append) => {
      const now = new Date();
      const doc: RoomDoc = { _id: id, name: input.name, topic: input.topic, kind: input.kind, ownerId: input.owner.id, createdAt: now, updatedAt: now, lastSeq: 0, deletedAt: null };
      await this.m.rooms.create([doc], { session });
      await this.m.memberships.create([{ roomId: id, userId: input.owner.id, role: 'owner', joinedAt: now, deliveredSeq: 0, readSeq: 0 }], { session });
      const event = await append(id, 'member.joined', input.owner, { user: input.owner, role: 'owner' });
      return { room: toRoom({ ...doc, lastSeq: event.seq }), event };
    });
  }

  private async roomDoc(id: string, session?: ClientSession): Promise<RoomDoc | null> {
    return this.m.rooms.findOne({ _id: id, deletedAt: null }, null, { session }).lean<RoomDoc>().exec();
  }

  async getRoom(id: string): Promise<Room | null> {
    const r = await this.roomDoc(id);
    return r ? toRoom(r) : null;
  }

  async listRoomsForUser(userId: string): Promise<RoomWithMembership[]> {
    const memberships = await this.m.memberships.find({ userId }).lean<MembershipDoc[]>().exec();
    const byRoom = new Map(memberships.map((m) => [m.roomId, m]));
    const rooms = await this.m.rooms
      .find({ deletedAt: null, $or: [{ _id: { $in: [...byRoom.keys()] } }, { kind: 'public' }] })
      .sort({ createdAt: -1, _id: 1 })
      .lean<RoomDoc[]>()
      .exec();
    const mine = rooms.filter((r) => byRoom.has(r._id));
    const [unread, peers] = await Promise.all([
      this.unreadCounts(userId, mine.map((r) => byRoom.get(r._id)!)),
      this.directPeers(userId, mine.filter((r) => r.kind === 'direct').map((r) => r._id)),
    ]);
    return rooms.map((r) => {
      const m = byRoom.get(r._id);
      return { room: toRoom(r), membership: m ? toMembership(m) : null, unread: m ? unread.get(r._id) ?? 0 : 0, peer: peers.get(r._id) ?? null };
    });
  }

  /** Per room: messages by others after the member's readSeq, not deleted. */
  private async unreadCounts(userId: string, memberships: MembershipDoc[]): Promise<Map<string, number>> {
    if (memberships.length === 0) return new Map();
    // One aggregation; each $or branch is a (roomId, seq > readSeq) range on the messages' (roomId, seq) index.
    const rows = await this.m.messages
      .aggregate<{ _id: string; n: number }>([
        { $match: { $or: memberships.map((m) => ({ roomId: m.roomId, seq: { $gt: m.readSeq } })), authorId: { $ne: userId }, deletedAt: null } },
        { $group: { _id: '$roomId', n: { $sum: 1 } } },
      ])
      .exec();
    return new Map(rows.map((r) => [r._id, r.n]));
  }

  /** For direct rooms: the other member, by room id. */
  private async directPeers(userId: string, roomIds: string[]): Promise<Map<string, PublicUser>> {
    if (roomIds.length === 0) return new Map();
    const others = await this.m.memberships.find({ roomId: { $in: roomIds }, userId: { $ne: userId } }).lean<MembershipDoc[]>().exec();
    const users = await this.publicUsers(others.map((o) => o.userId));
    const peers = new Map<string, PublicUser>();
    for (const o of others) {
      const user = users.get(o.userId);
      if (user && !peers.has(o.roomId)) peers.set(o.roomId, user);
    }
    return peers;
  }

  async updateRoom(roomId: string, actor: PublicUser, patch: { name?: string; topic?: string }): Promise<{ room: Room; event: RoomEvent }> {
    return this.transact(async (session, append) => {
      const set: Partial<RoomDoc> = { updatedAt: new Date() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.topic !== undefined) set.topic = patch.topic;
      const updated = await this.m.rooms.findOneAndUpdate({ _id: roomId, deletedAt: null }, { $set: set }, { session, new: true }).lean<RoomDoc>().exec();
      if (!updated) throw roomNotFound();
      const event = await append(roomId, 'room.updated', actor, { name: updated.name, topic: updated.topic, changed: Object.keys(patch) });
      return { room: toRoom({ ...updated, lastSeq: event.seq }), event };
    });
  }

  async deleteRoom(roomId: string, actor: PublicUser): Promise<RoomEvent> {
    return this.transact(async (session, append) => {
      const event = await append(roomId, 'room.deleted', actor, {});
      // Soft delete: the log and memberships stay; every read filters deletedAt: null.
      // A deleted direct room gives up its pair key, so the two users can open a new one.
      await this.m.rooms.updateOne({ _id: roomId, deletedAt: null }, { $set: { deletedAt: new Date(event.at) }, $unset: { directKey: 1 } }, { session }).exec();
      return event;
    });
  }

  private async membershipDoc(roomId: string, userId: string, session?: ClientSession): Promise<MembershipDoc | null> {
    return this.m.memberships.findOne({ roomId, userId }, null, { session }).lean<MembershipDoc>().exec();
  }

  async getMembership(roomId: string, userId: string): Promise<Membership | null> {
    const m = await this.membershipDoc(roomId, userId);
    return m ? toMembership(m) : null;
  }

  async listMembers(roomId: string): Promise<Member[]> {
    const memberships = await this.m.memberships.find({ roomId }).lean<MembershipDoc[]>().exec();
    const users = await this.publicUsers(memberships.map((m) => m.userId));
    const members: Member[] = [];
    for (const m of memberships) {
      const user = users.get(m.userId);
      if (user) members.push({ ...toMembership(m), user });
    }
    const key = (m: Member) => m.user.username.toLowerCase();
    return members.sort((a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  async addMember(roomId: string, user: PublicUser, role: Role, actor: PublicUser): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.transact(async (session, append) => {
      const room = await this.roomDoc(roomId, session);
      if (!room) throw roomNotFound();
      if (await this.membershipDoc(roomId, user.id, session)) throw storeErrors.alreadyMember(user.username);
      // A newcomer has nothing delivered or read before joining: start both watermarks at the join. room.lastSeq is
      // from this transaction's snapshot; if another append moved it since, append() below conflicts and retries.
      const doc: MembershipDoc = { roomId, userId: user.id, role, joinedAt: new Date(), deliveredSeq: room.lastSeq, readSeq: room.lastSeq };
      try {
        await this.m.memberships.create([doc], { session });
      } catch (err) {
        if (duplicateKey(err)) throw storeErrors.alreadyMember(user.username);
        throw err;
      }
      const event = await append(roomId, 'member.joined', actor, { user, role });
      return { membership: toMembership(doc), event };
    });
  }

  async removeMember(roomId: string, user: PublicUser, actor: PublicUser, reason: 'left' | 'removed'): Promise<RoomEvent> {
    return this.transact(async (session, append) => {
      if (!(await this.roomDoc(roomId, session))) throw roomNotFound();
      const res = await this.m.memberships.deleteOne({ roomId, userId: user.id }, { session }).exec();
      if (res.deletedCount === 0) throw storeErrors.notAMember(user.username);
      return append(roomId, 'member.left', actor, { user, reason });
    });
  }

  async openDirectRoom(a: PublicUser, b: PublicUser): Promise<{ room: Room; created: boolean }> {
    const key = [a.id, b.id].sort().join(':');
    const existing = (session?: ClientSession) =>
      // `$type` as in the partial unique index's filter: the planner uses a partial index only for queries that imply it.
      this.m.rooms.findOne({ directKey: { $eq: key, $type: 'string' }, deletedAt: null }, null, { session }).lean<RoomDoc>().exec();
    try {
      return await this.transact(async (session, append) => {
        const found = await existing(session);
        if (found) return { room: toRoom(found), created: false };
        const id = newId();
        const now = new Date();
        const doc: RoomDoc = {
          _id: id,
          name: `${a.username} & ${b.username}`,
          topic: '',
          kind: 'direct',
          ownerId: a.id,
          createdAt: now,
          updatedAt: now,
          lastSeq: 0,
          deletedAt: null,
          directKey: key,
        };
        await this.m.rooms.create([doc], { session });
        let lastSeq = 0;
        for (const user of [a, b]) {
          await this.m.memberships.create([{ roomId: id, userId: user.id, role: 'member', joinedAt: now, deliveredSeq: 0, readSeq: 0 }], { session });
          lastSeq = (await append(id, 'member.joined', user, { user, role: 'member' })).seq;
        }
        return { room: toRoom({ ...doc, lastSeq }), created: true };
      });
    } catch (err) {
      // Both users at once: a racing insert of the same key is a WriteConflict (retried inside, then found above)
      // or, once the other transaction has committed, a duplicate key on directKey: the room exists now.
      if (duplicateKey(err)) {
        const found = await existing();
        if (found) return { room: toRoom(found), created: false };
      }
      throw err;
    }
  }

  /**
   * One transaction per room: each room's lastSeq is its write lock, so a single transaction over all of a user's
   * rooms would conflict with a post to any of them and, for someone in many busy rooms, could retry until
   * withTransaction gives up (120 s). Each room's announcement is atomic on its own (a room that is deleted meanwhile
   * is skipped).
   */
  async announceProfile(user: PublicUser): Promise<RoomEvent[]> {
    const memberships = await this.m.memberships.find({ userId: user.id }, { roomId: 1 }).lean<Array<Pick<MembershipDoc, 'roomId'>>>().exec();
    const events: RoomEvent[] = [];
    for (const roomId of memberships.map((m) => m.roomId).sort()) {
      try {
        events.push(await this.transact((_session, append) => append(roomId, 'member.updated', user, { user })));
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'ROOM_NOT_FOUND')) throw err;
      }
    }
    return events;
  }

  async setRole(roomId: string, user: PublicUser, role: Role, actor: PublicUser): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.transact(async (session, append) => {
      const room = await this.roomDoc(roomId, session);
      if (!room) throw roomNotFound();
      const m = await this.m.memberships.findOneAndUpdate({ roomId, userId: user.id }, { $set: { role } }, { session, new: true }).lean<MembershipDoc>().exec();
      if (!m) throw storeErrors.notAMember(user.username);
      const transfer = role === 'owner' && room.ownerId === actor.id && actor.id !== user.id;
      if (role === 'owner') await this.m.rooms.updateOne({ _id: roomId }, { $set: { ownerId: user.id, updatedAt: new Date() } }, { session }).exec();
      const event = await append(roomId, 'member.role', actor, { user, role });
      if (transfer) {
        await this.m.memberships.updateOne({ roomId, userId: actor.id }, { $set: { role: 'admin' } }, { session }).exec();
        await append(roomId, 'member.role', actor, { user: actor, role: 'admin' });
      }
      return { membership: toMembership(m), event };
    });
  }

  // ---- messages

  /** Current public profiles by id (messages and members show the author as they are now, like the SQLite join). */
  private async publicUsers(ids: string[], session?: ClientSession): Promise<Map<string, PublicUser>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const docs = await this.m.users
      .find({ _id: { $in: unique } }, { username: 1, displayName: 1, gender: 1, avatar: 1 }, { session })
      .lean<UserDoc[]>()
      .exec();
    return new Map(docs.map((u) => [u._id, toPublicUser(u)]));
  }

  private async withAuthors(docs: MessageDoc[], session?: ClientSession): Promise<Message[]> {
    const authors = await this.publicUsers(docs.map((d) => d.authorId), session);
    const out: Message[] = [];
    for (const d of docs) {
      const author = authors.get(d.authorId);
      if (author) out.push(toMessage(d, author));
    }
    return out;
  }

  async postMessage(
    roomId: string,
    author: PublicUser,
    input: { text: string | null; attachments: string[]; clientId?: string | null },
  ): Promise<{ message: Message; created: boolean }> {
    const clientId = input.clientId ?? null;
    const earlier = async (session?: ClientSession): Promise<Message | null> => {
      if (clientId === null) return null;
      // `$type` as in the partial unique index's filter, so that index serves the lookup.
      const doc = await this.m.messages
        .findOne({ roomId, authorId: author.id, clientId: { $eq: clientId, $type: 'string' } }, null, { session })
        .lean<MessageDoc>()
        .exec();
      return doc ? ((await this.withAuthors([doc], session))[0] ?? null) : null;
    };
    try {
      return await this.appendMessage(roomId, author, input.text, input.attachments, clientId, earlier);
    } catch (err) {
      // Two copies of one post racing: normally the second one's transaction conflicts on the room's lastSeq, is
      // retried, and finds the first one's message. The unique index is the second guard; its refusal means the
      // same thing.
      if (clientId !== null && duplicateKey(err)?.keyPattern.clientId !== undefined) {
        const message = await earlier();
        if (message) return { message, created: false };
      }
      throw err;
    }
  }

  private appendMessage(
    roomId: string,
    author: PublicUser,
    text: string | null,
    uploadIds: string[],
    clientId: string | null,
    earlier: (session: ClientSession) => Promise<Message | null>,
  ): Promise<{ message: Message; created: boolean }> {
    return this.transact(async (session, append) => {
      // A retry (or a racing copy) of a post already committed: answer with its message, write nothing.
      const found = await earlier(session);
      if (found) return { message: found, created: false };
      let message!: Message;
      // The event carries the message, built once its seq (the event's) is known.
      const event = await append(roomId, 'message.created', author, async (seq, at) => {
        // Each id claims an unused upload of this author in this room with one conditional update (one after
        // another: one session runs one operation at a time). A concurrent claim of the same upload, or the retention
        // sweep deleting it, is a WriteConflict: retried, and then this filter no longer matches. Throwing aborts the
        // transaction, so no upload stays claimed.
        const attachments: Attachment[] = [];
        for (const id of uploadIds) {
          const upload = await this.m.uploads
            .findOneAndUpdate({ _id: id, ownerId: author.id, roomId, messageSeq: UNUSED }, { $set: { messageSeq: seq } }, { session, new: true })
            .lean<UploadDoc>()
            .exec();
          if (!upload) throw invalidAttachment(id);
          attachments.push(toAttachment({ ...upload, id: upload._id }));
        }
        message = { roomId, seq, author, text, attachments, createdAt: at, editedAt: null, deletedAt: null, clientId };
        return { message };
      });
      await this.m.messages.create(
        [{ roomId, seq: event.seq, authorId: author.id, text, attachments: message.attachments, createdAt: new Date(event.at), editedAt: null, deletedAt: null, clientId }],
        { session },
      );
      // Whoever posts has the room up to their own message: it counts as delivered to and read by them.
      await this.m.memberships.updateOne({ roomId, userId: author.id }, { $max: { readSeq: event.seq, deliveredSeq: event.seq } }, { session }).exec();
      return { message, created: true };
    });
  }

  async editMessage(roomId: string, seq: number, actor: PublicUser, text: string): Promise<{ message: Message; event: RoomEvent }> {
    return this.transact(async (session, append) => {
      const doc = await this.m.messages
        .findOneAndUpdate({ roomId, seq, deletedAt: null }, { $set: { text, editedAt: new Date() } }, { session, new: true })
        .lean<MessageDoc>()
        .exec();
      if (!doc) throw storeErrors.messageNotFound();
      const [message] = await this.withAuthors([doc], session);
      if (!message) throw storeErrors.messageNotFound();
      const event = await append(roomId, 'message.edited', actor, { message });
      return { message, event };
    });
  }

  async deleteMessage(roomId: string, seq: number, actor: PublicUser): Promise<{ message: Message; event: RoomEvent; removedUploads: Upload[] }> {
    return this.transact(async (session, append) => {
      const doc = await this.m.messages
        .findOneAndUpdate({ roomId, seq, deletedAt: null }, { $set: { text: null, attachments: [], deletedAt: new Date() } }, { session, new: true })
        .lean<MessageDoc>()
        .exec();
      if (!doc) throw storeErrors.messageNotFound();
      const [message] = await this.withAuthors([doc], session);
      if (!message) throw storeErrors.messageNotFound();
      // The message's uploads go in the same transaction (read and delete in one snapshot: nothing else writes a used
      // upload); their GridFS files are the caller's to delete after the commit.
      const used = await this.m.uploads.find({ roomId, messageSeq: seq }, null, { session }).lean<UploadDoc[]>().exec();
      if (used.length > 0) await this.m.uploads.deleteMany({ _id: { $in: used.map((u) => u._id) } }, { session }).exec();
      const event = await append(roomId, 'message.deleted', actor, { seq, message });
      return { message, event, removedUploads: used.map(toUpload) };
    });
  }

  // ---- uploads (metadata; the bytes are in `blobs`)

  async createUpload(upload: Omit<Upload, 'messageSeq' | 'createdAt'>): Promise<Upload> {
    const doc: UploadDoc = {
      _id: upload.id,
      ownerId: upload.ownerId,
      roomId: upload.roomId,
      mediaType: upload.mediaType,
      size: upload.size,
      width: upload.width,
      height: upload.height,
      messageSeq: null,
      createdAt: new Date(),
    };
    await this.m.uploads.create(doc);
    return toUpload(doc);
  }

  async getUpload(id: string): Promise<Upload | null> {
    const u = await this.m.uploads.findById(id).lean<UploadDoc>().exec();
    return u ? toUpload(u) : null;
  }

  async removeUnusedUploads(before: string): Promise<Upload[]> {
    const candidates = await this.m.uploads
      .find({ messageSeq: UNUSED, createdAt: { $lt: new Date(before) } }, { _id: 1 })
      .lean<Array<Pick<UploadDoc, '_id'>>>()
      .exec();
    // No transaction: each upload is removed by its own atomic findOneAndDelete that re-checks "unused", so one a
    // message claimed since the find (or that another instance's sweep took) is skipped, never returned.
    const gone: Upload[] = [];
    for (const { _id } of candidates) {
      const u = await this.m.uploads.findOneAndDelete({ _id, messageSeq: UNUSED }).lean<UploadDoc>().exec();
      if (u) gone.push(toUpload(u));
    }
    return gone;
  }

  async getMessage(roomId: string, seq: number): Promise<Message | null> {
    const doc = await this.m.messages.findOne({ roomId, seq }).lean<MessageDoc>().exec();
    if (!doc) return null;
    const [message] = await this.withAuthors([doc]);
    return message ?? null;
  }

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    let query;
    if (page.after !== undefined) query = this.m.messages.find({ roomId, seq: { $gt: page.after } }).sort({ seq: 1 });
    else if (page.before !== undefined) query = this.m.messages.find({ roomId, seq: { $lt: page.before } }).sort({ seq: -1 });
    else query = this.m.messages.find({ roomId }).sort({ seq: -1 });
    const docs = await query.limit(page.limit).lean<MessageDoc[]>().exec();
    return this.withAuthors(docs);
  }

  // ---- receipts. $max makes both watermarks monotonic in one atomic update, whatever order batches land in.

  /** lastSeq by room id, to cap receipts at the head (lastSeq only grows, so a stale read only caps lower). */
  private async roomHeads(roomIds: string[]): Promise<Map<string, number>> {
    const rooms = await this.m.rooms.find({ _id: { $in: [...new Set(roomIds)] } }, { lastSeq: 1 }).lean<Array<Pick<RoomDoc, '_id' | 'lastSeq'>>>().exec();
    return new Map(rooms.map((r) => [r._id, r.lastSeq]));
  }

  async markDelivered(entries: Array<{ roomId: string; userId: string; seq: number }>): Promise<void> {
    if (entries.length === 0) return;
    const heads = await this.roomHeads(entries.map((e) => e.roomId));
    const ops = [];
    for (const e of entries) {
      const head = heads.get(e.roomId);
      if (head === undefined) continue;
      ops.push({ updateOne: { filter: { roomId: e.roomId, userId: e.userId }, update: { $max: { deliveredSeq: Math.min(e.seq, head) } } } });
    }
    // Independent monotonic updates: one unordered bulk write, no transaction needed.
    if (ops.length > 0) await this.m.memberships.bulkWrite(ops, { ordered: false });
  }

  async markRead(roomId: string, userId: string, seq: number): Promise<Membership | null> {
    const head = (await this.roomHeads([roomId])).get(roomId);
    if (head === undefined) return null;
    const capped = Math.min(seq, head);
    const m = await this.m.memberships
      .findOneAndUpdate({ roomId, userId }, { $max: { readSeq: capped, deliveredSeq: capped } }, { new: true })
      .lean<MembershipDoc>()
      .exec();
    return m ? toMembership(m) : null;
  }

  async watermarks(roomId: string): Promise<Watermarks> {
    const [row] = await this.m.memberships
      .aggregate<{ delivered: number; read: number }>([
        { $match: { roomId } },
        { $group: { _id: null, delivered: { $min: '$deliveredSeq' }, read: { $min: '$readSeq' } } },
      ])
      .exec();
    return { deliveredSeq: row?.delivered ?? 0, readSeq: row?.read ?? 0 };
  }

  async eventsAfter(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    const docs = await this.m.events.find({ roomId, seq: { $gt: afterSeq } }).sort({ seq: 1 }).limit(limit).lean<EventDoc[]>().exec();
    return docs.map(toRoomEvent);
  }
}
