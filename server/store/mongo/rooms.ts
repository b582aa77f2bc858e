import type { ClientSession } from 'mongoose';
import { ROLE_RANK } from '../../rooms/policy.js';
import { storeErrors } from '../errors.js';
import { newId } from '../../ids.js';
import type { Member, Membership, PublicUser, Role, Room, RoomEvent, RoomKind, Upload } from '../store.js';
import type { MembersPage, MessageReceipts, RoomDirectoryPage, RoomWithMembership, Store } from '../store.js';
import { duplicateKey, toMembership, toRoom, toUpload } from './mappers.js';
import type { MembershipDoc, Models, RoomDoc, UploadDoc } from './models.js';
import type { Transactor } from './transact.js';
import { queueBlobDeletions } from './uploads.js';
import type { MongoMentions } from './mentions.js';
import type { MongoUsers } from './users.js';

type RoomMethods =
  | 'createRoom'
  | 'getRoom'
  | 'listRoomsOfUser'
  | 'listPublicRooms'
  | 'updateRoom'
  | 'deleteRoom'
  | 'getMembership'
  | 'listMembers'
  | 'listMembersPage'
  | 'messageReceipts'
  | 'addMember'
  | 'removeMember'
  | 'openDirectRoom'
  | 'announceProfile'
  | 'setRole';

const roomNotFound = storeErrors.roomNotFound;

/**
 * Rooms and memberships, direct rooms and profile announcements. Rooms are soft-deleted (`deletedAt`): the log and
 * the memberships stay, and every read filters deletedAt: null. Every change that the room's members must see is an
 * append, in the same transaction (see transact.ts).
 */
export class MongoRooms implements Pick<Store, RoomMethods> {
  constructor(
    private readonly m: Models,
    private readonly tx: Transactor,
    private readonly users: MongoUsers,
    private readonly mentions: MongoMentions,
  ) {}

  async createRoom(input: {
    name: string;
    topic: string;
    kind: RoomKind;
    owner: PublicUser;
  }): Promise<{ room: Room; event: RoomEvent }> {
    const id = newId();
    return this.tx.run(async (session, append) => {
      const now = new Date();
      const doc: RoomDoc = {
        _id: id,
        name: input.name,
        topic: input.topic,
        kind: input.kind,
        ownerId: input.owner.id,
        createdAt: now,
        updatedAt: now,
        lastSeq: 0,
        deletedAt: null,
      };
      await this.m.rooms.create([doc], { session });
      await this.m.memberships.create(
        [{ roomId: id, userId: input.owner.id, role: 'owner', joinedAt: now, deliveredSeq: 0, readSeq: 0 }],
        { session },
      );
      const event = await append(id, 'member.joined', input.owner, { user: input.owner, role: 'owner' });
      return { room: toRoom({ ...doc, lastSeq: event.seq }), event };
    });
  }

  roomDoc(id: string, session?: ClientSession): Promise<RoomDoc | null> {
    return this.m.rooms.findOne({ _id: id, deletedAt: null }, null, { session }).lean<RoomDoc>().exec();
  }

  async getRoom(id: string): Promise<Room | null> {
    const r = await this.roomDoc(id);
    return r ? toRoom(r) : null;
  }

  async listRoomsOfUser(userId: string): Promise<RoomWithMembership[]> {
    const memberships = await this.m.memberships.find({ userId }).lean<MembershipDoc[]>().exec();
    const byRoom = new Map(memberships.map((m) => [m.roomId, m]));
    const mine = await this.m.rooms
      .find({ deletedAt: null, _id: { $in: [...byRoom.keys()] } })
      .sort({ createdAt: -1, _id: 1 })
      .lean<RoomDoc[]>()
      .exec();
    const myMemberships = mine.map((r) => byRoom.get(r._id)!);
    const [unread, unreadMentions, peers] = await Promise.all([
      this.unreadCounts(userId, myMemberships),
      this.mentions.unreadCounts(userId, myMemberships),
      this.directPeers(
        userId,
        mine.filter((r) => r.kind === 'direct').map((r) => r._id),
      ),
    ]);
    return mine.map((r) => ({
      room: toRoom(r),
      membership: toMembership(byRoom.get(r._id)!),
      unread: unread.get(r._id) ?? 0,
      unreadMentions: unreadMentions.get(r._id) ?? 0,
      peer: peers.get(r._id) ?? null,
    }));
  }

  async listPublicRooms(userId: string, page: RoomDirectoryPage): Promise<Room[]> {
    if (page.limit <= 0) return [];
    const joined = await this.m.memberships.find({ userId }, { roomId: 1 }).lean<MembershipDoc[]>().exec();
    const after = page.after;
    // Newest first; the page after (createdAt, id) continues exactly where the last one ended.
    const position = after
      ? {
          $or: [
            { createdAt: { $lt: new Date(after.createdAt) } },
            { createdAt: new Date(after.createdAt), _id: { $gt: after.id } },
          ],
        }
      : {};
    const rooms = await this.m.rooms
      .find({ kind: 'public', deletedAt: null, _id: { $nin: joined.map((m) => m.roomId) }, ...position })
      .sort({ createdAt: -1, _id: 1 })
      .limit(page.limit)
      .lean<RoomDoc[]>()
      .exec();
    return rooms.map(toRoom);
  }

  /** Per room: messages by others after the member's readSeq, not deleted. */
  private async unreadCounts(userId: string, memberships: MembershipDoc[]): Promise<Map<string, number>> {
    if (memberships.length === 0) return new Map();
    // One aggregation; each $or branch is a (roomId, seq > readSeq) range on the messages' (roomId, seq) index.
    const ranges = memberships.map((m) => ({ roomId: m.roomId, seq: { $gt: m.readSeq } }));
    const rows = await this.m.messages
      .aggregate<{ _id: string; n: number }>([
        { $match: { $or: ranges, authorId: { $ne: userId }, deletedAt: null } },
        { $group: { _id: '$roomId', n: { $sum: 1 } } },
      ])
      .exec();
    return new Map(rows.map((r) => [r._id, r.n]));
  }

  /** For direct rooms: the other member, by room id. */
  private async directPeers(userId: string, roomIds: string[]): Promise<Map<string, PublicUser>> {
    if (roomIds.length === 0) return new Map();
    const others = await this.m.memberships
      .find({ roomId: { $in: roomIds }, userId: { $ne: userId } })
      .lean<MembershipDoc[]>()
      .exec();
    const users = await this.users.publicUsers(others.map((o) => o.userId));
    const peers = new Map<string, PublicUser>();
    for (const o of others) {
      const user = users.get(o.userId);
      if (user && !peers.has(o.roomId)) peers.set(o.roomId, user);
    }
    return peers;
  }

  async updateRoom(
    roomId: string,
    actor: PublicUser,
    patch: { name?: string; topic?: string },
  ): Promise<{ room: Room; event: RoomEvent }> {
    return this.tx.run(async (session, append) => {
      const set: Partial<RoomDoc> = { updatedAt: new Date() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.topic !== undefined) set.topic = patch.topic;
      const updated = await this.m.rooms
        .findOneAndUpdate({ _id: roomId, deletedAt: null }, { $set: set }, { session, new: true })
        .lean<RoomDoc>()
        .exec();
      if (!updated) throw roomNotFound();
      const changed = Object.keys(patch);
      const event = await append(roomId, 'room.updated', actor, { name: updated.name, topic: updated.topic, changed });
      return { room: toRoom({ ...updated, lastSeq: event.seq }), event };
    });
  }

  async deleteRoom(roomId: string, actor: PublicUser): Promise<{ event: RoomEvent; removedUploads: Upload[] }> {
    return this.tx.run(async (session, append) => {
      const event = await append(roomId, 'room.deleted', actor, {});
      // Soft delete: the log and memberships stay; every read filters deletedAt: null.
      // A deleted direct room gives up its pair key, so the two users can open a new one.
      await this.m.rooms
        .updateOne(
          { _id: roomId, deletedAt: null },
          { $set: { deletedAt: new Date(event.at) }, $unset: { directKey: 1 } },
          { session },
        )
        .exec();
      // A deleted room keeps no images: their rows go here, and their bytes are queued for deletion in the same
      // transaction (the caller discards them after the commit; what that cannot delete, the janitor sweeps).
      const uploads = await this.m.uploads.find({ roomId }, null, { session }).lean<UploadDoc[]>().exec();
      await this.m.uploads.deleteMany({ roomId }, { session }).exec();
      await queueBlobDeletions(
        this.m,
        uploads.map((u) => u._id),
        session,
      );
      return { event, removedUploads: uploads.map((u) => toUpload(u)) };
    });
  }

  private membershipDoc(roomId: string, userId: string, session?: ClientSession): Promise<MembershipDoc | null> {
    return this.m.memberships.findOne({ roomId, userId }, null, { session }).lean<MembershipDoc>().exec();
  }

  async getMembership(roomId: string, userId: string): Promise<Membership | null> {
    const m = await this.membershipDoc(roomId, userId);
    return m ? toMembership(m) : null;
  }

  /** Owner first, then admins, then members (the policy's rank, highest first), each by username. */
  async listMembers(roomId: string): Promise<Member[]> {
    const memberships = await this.m.memberships.find({ roomId }).lean<MembershipDoc[]>().exec();
    const users = await this.users.publicUsers(memberships.map((m) => m.userId));
    const members: Member[] = [];
    for (const m of memberships) {
      const user = users.get(m.userId);
      if (user) members.push({ ...toMembership(m), user });
    }
    const key = (m: Member) => m.user.username.toLowerCase();
    const byName = (a: Member, b: Member) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
    return members.sort((a, b) => ROLE_RANK[b.role] - ROLE_RANK[a.role] || byName(a, b));
  }

  /**
   * A page in listMembers' order. The whole list is read and sorted (as listMembers does) and the page cut from it:
   * the response is bounded, the read is not.
   */
  async listMembersPage(roomId: string, { after, limit, query }: MembersPage): Promise<Member[]> {
    const needle = query?.toLowerCase() ?? null;
    const rank = after ? ROLE_RANK[after.role] : Number.MAX_SAFE_INTEGER;
    const name = after?.username.toLowerCase() ?? '';
    return (await this.listMembers(roomId))
      .filter((m) => {
        const r = ROLE_RANK[m.role];
        return r < rank || (r === rank && m.user.username.toLowerCase() > name);
      })
      .filter(
        (m) =>
          needle === null ||
          m.user.username.toLowerCase().includes(needle) ||
          m.user.displayName.toLowerCase().includes(needle),
      )
      .slice(0, limit);
  }

  /** See Store.messageReceipts. The room's whole list is read, as listMembers does; the answer is bounded. */
  async messageReceipts(roomId: string, seq: number, exceptUserId: string, limit: number): Promise<MessageReceipts> {
    const others = (await this.listMembers(roomId)).filter((m) => m.userId !== exceptUserId);
    const delivered = others.filter((m) => m.deliveredSeq >= seq);
    const read = others.filter((m) => m.readSeq >= seq);
    const pending = others.filter((m) => m.deliveredSeq < seq);
    const first = (list: Member[]) => list.slice(0, limit).map((m) => m.user);
    return {
      counts: { delivered: delivered.length, read: read.length, pending: pending.length },
      deliveredTo: first(delivered),
      readBy: first(read),
      pending: first(pending),
    };
  }

  async addMember(
    roomId: string,
    user: PublicUser,
    role: Role,
    actor: PublicUser,
  ): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.tx.run(async (session, append) => {
      const room = await this.roomDoc(roomId, session);
      if (!room) throw roomNotFound();
      if (await this.membershipDoc(roomId, user.id, session)) throw storeErrors.alreadyMember(user.username);
      // A newcomer has nothing delivered or read before joining: start both watermarks at the join. room.lastSeq is
      // from this transaction's snapshot; if another append moved it since, append() below conflicts and retries.
      const doc: MembershipDoc = {
        roomId,
        userId: user.id,
        role,
        joinedAt: new Date(),
        deliveredSeq: room.lastSeq,
        readSeq: room.lastSeq,
      };
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

  async removeMember(
    roomId: string,
    user: PublicUser,
    actor: PublicUser,
    reason: 'left' | 'removed',
  ): Promise<RoomEvent> {
    return this.tx.run(async (session, append) => {
      if (!(await this.roomDoc(roomId, session))) throw roomNotFound();
      const res = await this.m.memberships.deleteOne({ roomId, userId: user.id }, { session }).exec();
      if (res.deletedCount === 0) throw storeErrors.notAMember(user.username);
      return append(roomId, 'member.left', actor, { user, reason });
    });
  }

  async openDirectRoom(a: PublicUser, b: PublicUser): Promise<{ room: Room; created: boolean }> {
    const key = [a.id, b.id].sort().join(':');
    const existing = (session?: ClientSession) =>
      // `$type` as in the partial unique index's filter: the planner uses a partial index only for queries that
      // imply it.
      this.m.rooms
        .findOne({ directKey: { $eq: key, $type: 'string' }, deletedAt: null }, null, { session })
        .lean<RoomDoc>()
        .exec();
    try {
      return await this.tx.run(async (session, append) => {
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
          await this.m.memberships.create(
            // A conversation of two notifies of every message (defaultNotifyLevel).
            [
              {
                roomId: id,
                userId: user.id,
                role: 'member',
                joinedAt: now,
                deliveredSeq: 0,
                readSeq: 0,
                notify: 'all',
              },
            ],
            { session },
          );
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
   * One transaction over all of the user's live rooms, as on SQLite: every room gets its member.updated, or, when the
   * transaction fails, none does (and a retry announces once to each). Each room's lastSeq is its write lock, so a
   * post to one of the rooms between this transaction's start and its append there is a write conflict and the whole
   * announcement runs again after a pause; a post that meets a room it has already appended to is the one that
   * conflicts and retries. Past the retry budget the request fails with nothing written.
   */
  async announceProfile(user: PublicUser): Promise<RoomEvent[]> {
    return this.tx.run(async (session, append) => {
      const memberships = await this.m.memberships
        .find({ userId: user.id }, { roomId: 1 }, { session })
        .lean<Array<Pick<MembershipDoc, 'roomId'>>>()
        .exec();
      const live = await this.m.rooms
        .find({ _id: { $in: memberships.map((m) => m.roomId) }, deletedAt: null }, { _id: 1 }, { session })
        .lean<Array<Pick<RoomDoc, '_id'>>>()
        .exec();
      const events: RoomEvent[] = [];
      for (const roomId of live.map((r) => r._id).sort()) {
        events.push(await append(roomId, 'member.updated', user, { user }));
      }
      return events;
    });
  }

  async setRole(
    roomId: string,
    user: PublicUser,
    role: Role,
    actor: PublicUser,
  ): Promise<{ membership: Membership; event: RoomEvent }> {
    return this.tx.run(async (session, append) => {
      const room = await this.roomDoc(roomId, session);
      if (!room) throw roomNotFound();
      const m = await this.m.memberships
        .findOneAndUpdate({ roomId, userId: user.id }, { $set: { role } }, { session, new: true })
        .lean<MembershipDoc>()
        .exec();
      if (!m) throw storeErrors.notAMember(user.username);
      const transfer = role === 'owner' && room.ownerId === actor.id && actor.id !== user.id;
      if (role === 'owner') {
        const owner = { ownerId: user.id, updatedAt: new Date() };
        await this.m.rooms.updateOne({ _id: roomId }, { $set: owner }, { session }).exec();
      }
      const event = await append(roomId, 'member.role', actor, { user, role });
      if (transfer) {
        const stepDown = { $set: { role: 'admin' as const } };
        await this.m.memberships.updateOne({ roomId, userId: actor.id }, stepDown, { session }).exec();
        await append(roomId, 'member.role', actor, { user: actor, role: 'admin' });
      }
      return { membership: toMembership(m), event };
    });
  }
}
