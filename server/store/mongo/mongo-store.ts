import type { Connection, mongo } from 'mongoose';
import { FeedPublisher } from '../feed.js';
import type { Store } from '../store.js';
import { redactEarlierCopies } from './redaction.js';
import { MongoMentions } from './mentions.js';
import { isMongoUnavailable } from './unavailable.js';
import { ChangeWatcher, toRoomEvent } from './change-watcher.js';
import { openConnection, presenceTtlOf, reporterOf, SchemaRepair, startStore } from './connect.js';
import type { MongoStoreOptions, Reporter } from './connect.js';
import { MongoCursorBases } from './cursor-bases.js';
import { MongoFailureCounter } from './failures.js';
import { BLOB_COLLECTIONS, GridFsBlobStore } from './gridfs-blobs.js';
import { MongoMessages } from './messages.js';
import { indexEarlierMessages } from './search.js';
import { defineModels, type Models } from './models.js';
import type { BlobDeletionDoc, CursorBaseDoc, EventDoc, FailureDoc, PresenceDoc, SignalDoc } from './models.js';
import { MongoPresenceBoard } from './presence.js';
import { MongoReactions } from './reactions.js';
import { MongoReceipts } from './receipts.js';
import { MongoRooms } from './rooms.js';
import { ServerClock } from './server-clock.js';
import { MongoSessions } from './sessions.js';
import { MongoSignals } from './signals.js';
import { Transactor } from './transact.js';
import { MongoUploads } from './uploads.js';
import { MongoUsers } from './users.js';

export type { MongoStoreOptions } from './connect.js';

/**
 * The scale-out store: every instance shares one MongoDB replica set. This class is the Store port; each aggregate
 * lives in its own module (users, sessions, rooms, messages and the log, uploads, receipts) and every write that
 * appends to a room's log runs through the transaction engine (transact.ts). The feed is one change stream per
 * process (ChangeWatcher), so an event committed by any instance reaches every instance's hub; the same stream
 * carries signals (typing, receipts) and presence between instances.
 */
export class MongoStore implements Store {
  readonly kind = 'mongo' as const;
  readonly feed: FeedPublisher;
  readonly blobs: GridFsBlobStore;
  readonly signals: MongoSignals;
  readonly presence: MongoPresenceBoard;
  readonly failures: MongoFailureCounter;
  readonly cursorBases: MongoCursorBases;
  private readonly m: Models;
  private readonly watcher: ChangeWatcher;
  private readonly users: MongoUsers;
  private readonly sessions: MongoSessions;
  private readonly rooms: MongoRooms;
  private readonly messages: MongoMessages;
  private readonly mentions: MongoMentions;
  private readonly uploads: MongoUploads;
  private readonly receipts: MongoReceipts;
  private readonly schema: SchemaRepair;
  private readonly reactions: MongoReactions;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly conn: Connection,
    private readonly report: Reporter,
    presenceTtlMs: number,
  ) {
    const db = conn.db!;
    const m = defineModels(conn);
    this.m = m;
    const tx = new Transactor(conn, m);
    const collection = <T extends mongo.Document>(model: { collection: { collectionName: string } }) =>
      db.collection<T>(model.collection.collectionName);
    const clock = new ServerClock(async () => (await db.command({ hello: 1 })).localTime as Date);
    this.users = new MongoUsers(m);
    this.sessions = new MongoSessions(m);
    this.mentions = new MongoMentions(m, this.users);
    this.rooms = new MongoRooms(m, tx, this.users, this.mentions);
    this.messages = new MongoMessages(m, tx, this.users, report, this.mentions);
    this.uploads = new MongoUploads(m, tx);
    this.receipts = new MongoReceipts(m);
    this.blobs = new GridFsBlobStore(db, collection<BlobDeletionDoc>(m.blobDeletions), report);
    this.reactions = new MongoReactions(m, tx, this.users, (docs, session) => this.messages.withAuthors(docs, session));
    this.feed = new FeedPublisher((err) => report(err, 'feed listener failed'));
    this.failures = new MongoFailureCounter(collection<FailureDoc>(m.failures));
    this.cursorBases = new MongoCursorBases(collection<CursorBaseDoc>(m.cursorBases));
    this.signals = new MongoSignals(collection<SignalDoc>(m.signals), report);
    this.presence = new MongoPresenceBoard(
      collection<PresenceDoc>(m.presence),
      () => clock.sync(),
      async (id) => (await this.users.publicUsers([id])).get(id) ?? null,
      presenceTtlMs,
      report,
    );
    this.schema = new SchemaRepair(db, m, report);
    const collections = [
      ...Object.values(m).map((model) => model.collection.collectionName),
      ...Object.values(BLOB_COLLECTIONS).map((c) => c.name),
    ];
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
        schema: () => this.schema.request(),
        live: (value) => (this.feed.live = value),
      },
      report,
      { collections, serverNow: () => clock.now() },
    );
  }

  /** Connects, checks for a replica set, creates collections and indexes, and starts the change stream. */
  static async connect(uri: string, opts: MongoStoreOptions = {}): Promise<MongoStore> {
    const conn = await openConnection(uri, opts);
    try {
      const store = new MongoStore(conn, reporterOf(opts), presenceTtlOf(opts));
      await startStore(conn.db!, store.m, store.watcher, store.presence);
      await store.mentions.backfillLevels();
      // In the background: copies stored before redaction existed lose their old text (idempotent, so a restart
      // part-way through simply does the rest).
      redactEarlierCopies(store.m).catch((err) => store.report(err, 'redacting earlier message copies failed'));
      // Likewise messages stored before search existed gain their search words (until then they are not found).
      indexEarlierMessages(store.m).catch((err) => store.report(err, 'indexing earlier messages for search failed'));
      return store;
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
  }

  isUnavailable(err: unknown): boolean {
    return isMongoUnavailable(err);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.presence.close();
      await this.watcher.close();
      await this.schema.idle();
      await this.conn.close();
    })();
    return this.closing;
  }

  // ---- users
  createUser: Store['createUser'] = (input) => this.users.createUser(input);
  getUser: Store['getUser'] = (id) => this.users.getUser(id);
  getUserSecret: Store['getUserSecret'] = (id) => this.users.getUserSecret(id);
  findUserForLogin: Store['findUserForLogin'] = (login) => this.users.findUserForLogin(login);
  findUserByUsername: Store['findUserByUsername'] = (username) => this.users.findUserByUsername(username);
  updateUser: Store['updateUser'] = (id, patch) => this.users.updateUser(id, patch);

  // ---- sessions and tokens
  createSession: Store['createSession'] = (input) => this.sessions.createSession(input);
  getSession: Store['getSession'] = (id) => this.sessions.getSession(id);
  revokeSession: Store['revokeSession'] = (id) => this.sessions.revokeSession(id);
  revokeUserSessions: Store['revokeUserSessions'] = (...args) => this.sessions.revokeUserSessions(...args);
  addRefreshToken: Store['addRefreshToken'] = (input) => this.sessions.addRefreshToken(input);
  useRefreshToken: Store['useRefreshToken'] = (hash, now) => this.sessions.useRefreshToken(hash, now);
  createApiToken: Store['createApiToken'] = (input) => this.sessions.createApiToken(input);
  listApiTokens: Store['listApiTokens'] = (userId) => this.sessions.listApiTokens(userId);
  deleteApiToken: Store['deleteApiToken'] = (userId, id) => this.sessions.deleteApiToken(userId, id);
  useApiToken: Store['useApiToken'] = (hash, now) => this.sessions.useApiToken(hash, now);

  // ---- rooms and memberships
  createRoom: Store['createRoom'] = (input) => this.rooms.createRoom(input);
  getRoom: Store['getRoom'] = (id) => this.rooms.getRoom(id);
  listRoomsOfUser: Store['listRoomsOfUser'] = (userId) => this.rooms.listRoomsOfUser(userId);
  listPublicRooms: Store['listPublicRooms'] = (userId, page) => this.rooms.listPublicRooms(userId, page);
  updateRoom: Store['updateRoom'] = (roomId, actor, patch) => this.rooms.updateRoom(roomId, actor, patch);
  deleteRoom: Store['deleteRoom'] = (roomId, actor) => this.rooms.deleteRoom(roomId, actor);
  getMembership: Store['getMembership'] = (roomId, userId) => this.rooms.getMembership(roomId, userId);
  listMembers: Store['listMembers'] = (roomId) => this.rooms.listMembers(roomId);
  listMembersPage: Store['listMembersPage'] = (roomId, page) => this.rooms.listMembersPage(roomId, page);
  messageReceipts: Store['messageReceipts'] = (roomId, seq, except, limit) =>
    this.rooms.messageReceipts(roomId, seq, except, limit);
  addMember: Store['addMember'] = (roomId, user, role, actor) => this.rooms.addMember(roomId, user, role, actor);
  removeMember: Store['removeMember'] = (roomId, user, actor, why) => this.rooms.removeMember(roomId, user, actor, why);
  openDirectRoom: Store['openDirectRoom'] = (a, b) => this.rooms.openDirectRoom(a, b);
  announceProfile: Store['announceProfile'] = (user) => this.rooms.announceProfile(user);
  setRole: Store['setRole'] = (roomId, user, role, actor) => this.rooms.setRole(roomId, user, role, actor);

  // ---- messages and the log
  postMessage: Store['postMessage'] = (roomId, author, input) => this.messages.postMessage(roomId, author, input);
  editMessage: Store['editMessage'] = (roomId, seq, actor, text, online) =>
    this.messages.editMessage(roomId, seq, actor, text, online);
  deleteMessage: Store['deleteMessage'] = (roomId, seq, actor) => this.messages.deleteMessage(roomId, seq, actor);
  getMessage: Store['getMessage'] = (roomId, seq) => this.messages.getMessage(roomId, seq);
  listMessages: Store['listMessages'] = (roomId, page) => this.messages.listMessages(roomId, page);
  listThread: Store['listThread'] = (roomId, rootSeq, page) => this.messages.listThread(roomId, rootSeq, page);
  searchMessages: Store['searchMessages'] = (userId, search) => this.messages.searchMessages(userId, search);
  eventsAfter: Store['eventsAfter'] = (roomId, after, limit) => this.messages.eventsAfter(roomId, after, limit);

  // ---- reactions and pins
  addReaction: Store['addReaction'] = (...args) => this.reactions.addReaction(...args);
  removeReaction: Store['removeReaction'] = (...args) => this.reactions.removeReaction(...args);
  listReactions: Store['listReactions'] = (...args) => this.reactions.listReactions(...args);
  pinMessage: Store['pinMessage'] = (...args) => this.reactions.pinMessage(...args);
  unpinMessage: Store['unpinMessage'] = (...args) => this.reactions.unpinMessage(...args);
  listPins: Store['listPins'] = (roomId) => this.reactions.listPins(roomId);

  // ---- mentions and notification levels
  listMentions: Store['listMentions'] = async (userId, page) => {
    if (page.limit <= 0) return []; // limit(0) would be no limit at all
    const keys = await this.mentions.page(userId, page);
    const found = await Promise.all(keys.map(({ roomId, seq }) => this.messages.getMessage(roomId, seq)));
    return found.filter((m) => m !== null);
  };
  setNotify: Store['setNotify'] = (roomId, userId, patch) => this.mentions.setNotify(roomId, userId, patch);

  // ---- receipts
  markDelivered: Store['markDelivered'] = (entries) => this.receipts.markDelivered(entries);
  markRead: Store['markRead'] = (roomId, userId, seq) => this.receipts.markRead(roomId, userId, seq);
  watermarks: Store['watermarks'] = (roomId) => this.receipts.watermarks(roomId);

  // ---- uploads (metadata; the bytes are in `blobs`)
  createUpload: Store['createUpload'] = (upload) => this.uploads.createUpload(upload);
  getUpload: Store['getUpload'] = (id) => this.uploads.getUpload(id);
  removeUnusedUploads: Store['removeUnusedUploads'] = (before) => this.uploads.removeUnusedUploads(before);
}
