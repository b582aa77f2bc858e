import type { ClientSession } from 'mongoose';
import { mayMention, mentionRecipients, resolveMentions, type ResolvedMentions } from '../../messages/mentions.js';
import type { MentionPage, Membership, NotifyPatch } from '../store.js';
import { toMembership } from './mappers.js';
import type { MembershipDoc, Models } from './models.js';
import type { MongoUsers } from './users.js';

export const NO_MENTIONS: ResolvedMentions = { mentions: [], mentionsRoom: false, mentionsHere: false };

/**
 * Whom messages mention (the message's mention fields and one `mentions` document per member reached), inside the
 * post's, edit's or delete's transaction; the unread mention counts and the inbox; the members' notification settings
 * (theirs alone: no event).
 */
export class MongoMentions {
  constructor(
    private readonly m: Models,
    private readonly users: MongoUsers,
  ) {}

  private async memberIds(roomId: string, session: ClientSession): Promise<string[]> {
    const docs = await this.m.memberships.find({ roomId }, { userId: 1 }, { session }).lean<MembershipDoc[]>().exec();
    return docs.map((d) => d.userId);
  }

  /** The mentions `text` makes in the room (members are looked up only when it has an `@`). */
  async resolve(roomId: string, text: string | null, authorId: string, session: ClientSession) {
    if (!mayMention(text)) return NO_MENTIONS;
    const ids = await this.memberIds(roomId, session);
    const users = await this.users.publicUsers(ids, session);
    return resolveMentions(text, [...users.values()], authorId);
  }

  /**
   * Replaces the message's mention fields and whom it reaches. An edit that keeps @here keeps those an earlier @here
   * reached, beside those online now.
   */
  async record(
    message: { roomId: string; seq: number; createdAt: string; authorId: string },
    resolved: ResolvedMentions,
    online: readonly string[],
    session: ClientSession,
  ): Promise<void> {
    const { roomId, seq } = message;
    const reached = new Set(online);
    if (resolved.mentionsHere) {
      const earlier = await this.m.mentions.find({ roomId, seq, here: true }, { userId: 1 }, { session }).lean().exec();
      for (const d of earlier) reached.add(d.userId);
    }
    await this.clear(roomId, seq, session, resolved);
    if (resolved.mentions.length === 0 && !resolved.mentionsRoom && !resolved.mentionsHere) return;
    const memberIds = resolved.mentionsRoom || resolved.mentionsHere ? await this.memberIds(roomId, session) : [];
    const at = new Date(message.createdAt);
    const docs = [...mentionRecipients(resolved, memberIds, reached, message.authorId)].map(([userId, { here }]) => ({
      userId,
      roomId,
      seq,
      at,
      here,
    }));
    if (docs.length > 0) await this.m.mentions.insertMany(docs, { session });
  }

  /** The message mentions no one (deleted), or `fields` (before recording anew). */
  async clear(
    roomId: string,
    seq: number,
    session: ClientSession,
    fields: ResolvedMentions = NO_MENTIONS,
  ): Promise<void> {
    await this.m.mentions.deleteMany({ roomId, seq }, { session }).exec();
    const { mentions, mentionsRoom, mentionsHere } = fields;
    await this.m.messages.updateOne({ roomId, seq }, { $set: { mentions, mentionsRoom, mentionsHere } }, { session });
  }

  /** Per room: mentions of the user after their readSeq (deleted messages and their own have none). */
  async unreadCounts(userId: string, memberships: MembershipDoc[]): Promise<Map<string, number>> {
    if (memberships.length === 0) return new Map();
    const ranges = memberships.map((m) => ({ roomId: m.roomId, seq: { $gt: m.readSeq } }));
    const rows = await this.m.mentions
      .aggregate<{ _id: string; n: number }>([
        { $match: { userId, $or: ranges } },
        { $group: { _id: '$roomId', n: { $sum: 1 } } },
      ])
      .exec();
    return new Map(rows.map((r) => [r._id, r.n]));
  }

  /** (roomId, seq) of the user's mentions in rooms they are in, newest first, strictly after `page.before`. */
  async page(userId: string, page: MentionPage): Promise<Array<{ roomId: string; seq: number }>> {
    const joined = await this.m.memberships.find({ userId }, { roomId: 1 }).lean<MembershipDoc[]>().exec();
    const live = await this.m.rooms
      .find({ _id: { $in: joined.map((j) => j.roomId) }, deletedAt: null }, { _id: 1 })
      .lean<Array<{ _id: string }>>()
      .exec();
    const b = page.before;
    const after = b
      ? {
          $or: [
            { at: { $lt: new Date(b.at) } },
            { at: new Date(b.at), roomId: { $lt: b.roomId } },
            { at: new Date(b.at), roomId: b.roomId, seq: { $lt: b.seq } },
          ],
        }
      : {};
    const docs = await this.m.mentions
      .find({ userId, roomId: { $in: live.map((r) => r._id) }, ...after })
      .sort({ at: -1, roomId: -1, seq: -1 })
      .limit(page.limit)
      .lean()
      .exec();
    return docs.map((d) => ({ roomId: d.roomId, seq: d.seq }));
  }

  async setNotify(roomId: string, userId: string, patch: NotifyPatch): Promise<Membership | null> {
    const set: Partial<MembershipDoc> = {};
    if (patch.notify !== undefined) set.notify = patch.notify;
    if (patch.muted !== undefined) set.muted = patch.muted;
    const room = await this.m.rooms.exists({ _id: roomId, deletedAt: null }).exec();
    if (!room) return null;
    const doc = await this.m.memberships
      .findOneAndUpdate({ roomId, userId }, { $set: set }, { new: true })
      .lean<MembershipDoc>()
      .exec();
    return doc ? toMembership(doc) : null;
  }

  /** Memberships from before notification levels get their room kind's default (idempotent; run at start). */
  async backfillLevels(): Promise<void> {
    const direct = await this.m.rooms.find({ kind: 'direct' }, { _id: 1 }).lean<Array<{ _id: string }>>().exec();
    const missing = { notify: { $exists: false } };
    const ids = direct.map((r) => r._id);
    if (ids.length > 0) {
      await this.m.memberships.updateMany({ ...missing, roomId: { $in: ids } }, { $set: { notify: 'all' } }).exec();
    }
    await this.m.memberships.updateMany(missing, { $set: { notify: 'mentions' } }).exec();
    await this.m.memberships.updateMany({ muted: { $exists: false } }, { $set: { muted: false } }).exec();
  }
}
