import type { ClientSession } from 'mongoose';
import { storeErrors } from '../errors.js';
import type { Message, Pin, PublicUser, ReactionSummary, Store, ToggleResult } from '../store.js';
import { iso } from './mappers.js';
import type { MessageDoc, Models } from './models.js';
import type { PinDoc } from './reaction-models.js';
import type { Transactor } from './transact.js';
import type { MongoUsers } from './users.js';

type Methods = 'addReaction' | 'removeReaction' | 'listReactions' | 'pinMessage' | 'unpinMessage' | 'listPins';

interface ReactionGroup {
  _id: { seq: number; emoji: string };
  count: number;
  users: string[];
  first: number;
  me: boolean;
}

/**
 * Reactions and pins. Each change runs in a transaction with its event: the append increments the room's lastSeq,
 * so concurrent changes to one room conflict and retry, and the checks read here (the message is live, the emoji
 * and pin limits) hold at commit.
 */
export class MongoReactions implements Pick<Store, Methods> {
  constructor(
    private readonly m: Models,
    private readonly tx: Transactor,
    private readonly users: MongoUsers,
    /** Messages as MongoMessages shows them (authors, the parents replies quote, thread summaries). */
    private readonly show: (docs: MessageDoc[], session?: ClientSession) => Promise<Message[]>,
  ) {}

  /** The live message at (roomId, seq) in the transaction's snapshot, or MESSAGE_NOT_FOUND. */
  private async live(roomId: string, seq: number, session: ClientSession): Promise<Message> {
    const doc = await this.m.messages.findOne({ roomId, seq, deletedAt: null }, null, { session }).lean<MessageDoc>();
    const [message] = doc ? await this.show([doc], session) : [];
    if (!message) throw storeErrors.messageNotFound();
    return message;
  }

  addReaction(roomId: string, seq: number, emoji: string, user: PublicUser, maxEmoji: number): Promise<ToggleResult> {
    return this.tx.run(async (session, append) => {
      await this.live(roomId, seq, session);
      const key = { roomId, seq, emoji, userId: user.id };
      if (await this.m.reactions.exists(key).session(session)) return { event: null };
      const used = (await this.m.reactions.distinct('emoji', { roomId, seq }).session(session)) as string[];
      if (!used.includes(emoji) && used.length >= maxEmoji) throw storeErrors.tooManyReactions(maxEmoji);
      // The count after this change travels with the event (see the SQLite store); the append's lastSeq increment
      // makes concurrent changes to the room conflict, so this count holds at commit.
      const count = (await this.m.reactions.countDocuments({ roomId, seq, emoji }).session(session)) + 1;
      const event = await append(roomId, 'reaction.added', user, { seq, emoji, userId: user.id, count });
      await this.m.reactions.create([{ ...key, addedSeq: event.seq }], { session });
      return { event };
    });
  }

  removeReaction(roomId: string, seq: number, emoji: string, user: PublicUser): Promise<ToggleResult> {
    return this.tx.run(async (session, append) => {
      await this.live(roomId, seq, session);
      const removed = await this.m.reactions.deleteOne({ roomId, seq, emoji, userId: user.id }, { session }).exec();
      if (removed.deletedCount === 0) return { event: null };
      const count = await this.m.reactions.countDocuments({ roomId, seq, emoji }).session(session);
      return { event: await append(roomId, 'reaction.removed', user, { seq, emoji, userId: user.id, count }) };
    });
  }

  async listReactions(
    roomId: string,
    seqs: number[],
    viewerId: string | null,
    usersShown: number,
  ): Promise<Map<number, ReactionSummary[]>> {
    const out = new Map<number, ReactionSummary[]>();
    if (seqs.length === 0) return out;
    // One aggregation per page; the match uses the (roomId, seq, ...) index. Sorted before grouping, so each
    // group's users are in the order they reacted.
    const groups = await this.m.reactions
      .aggregate<ReactionGroup>([
        { $match: { roomId, seq: { $in: seqs } } },
        { $sort: { addedSeq: 1 } },
        {
          $group: {
            _id: { seq: '$seq', emoji: '$emoji' },
            count: { $sum: 1 },
            users: { $push: '$userId' },
            first: { $min: '$addedSeq' },
            me: { $max: { $eq: ['$userId', viewerId] } },
          },
        },
        { $project: { count: 1, first: 1, me: 1, users: { $slice: ['$users', usersShown] } } },
        { $sort: { '_id.seq': 1, first: 1 } },
      ])
      .exec();
    for (const g of groups) {
      let list = out.get(g._id.seq);
      if (!list) out.set(g._id.seq, (list = []));
      list.push({ emoji: g._id.emoji, count: g.count, users: g.users, me: g.me === true });
    }
    return out;
  }

  pinMessage(roomId: string, seq: number, actor: PublicUser, maxPins: number): Promise<ToggleResult> {
    return this.tx.run(async (session, append) => {
      const message = await this.live(roomId, seq, session);
      if (await this.m.pins.exists({ roomId, seq }).session(session)) return { event: null };
      const count = await this.m.pins.countDocuments({ roomId }, { session }).exec();
      if (count >= maxPins) throw storeErrors.tooManyPins(maxPins);
      // The event carries the message, so an edit or a delete redacts this copy too (redaction.ts).
      const event = await append(roomId, 'message.pinned', actor, { seq, message });
      const doc: PinDoc = { roomId, seq, pinnedBy: actor.id, pinnedAt: new Date(event.at), pinSeq: event.seq };
      await this.m.pins.create([doc], { session });
      return { event };
    });
  }

  unpinMessage(roomId: string, seq: number, actor: PublicUser): Promise<ToggleResult> {
    return this.tx.run(async (session, append) => {
      await this.live(roomId, seq, session);
      const removed = await this.m.pins.deleteOne({ roomId, seq }, { session }).exec();
      if (removed.deletedCount === 0) return { event: null };
      return { event: await append(roomId, 'message.unpinned', actor, { seq }) };
    });
  }

  async listPins(roomId: string): Promise<Pin[]> {
    const pins = await this.m.pins.find({ roomId }).sort({ pinSeq: -1 }).lean<PinDoc[]>().exec();
    if (pins.length === 0) return [];
    const docs = await this.m.messages
      .find({ roomId, seq: { $in: pins.map((p) => p.seq) } })
      .lean<MessageDoc[]>()
      .exec();
    const bySeq = new Map((await this.show(docs)).map((message) => [message.seq, message]));
    const pinners = await this.users.publicUsers(pins.map((p) => p.pinnedBy));
    const out: Pin[] = [];
    for (const p of pins) {
      const message = bySeq.get(p.seq);
      const by = pinners.get(p.pinnedBy);
      if (message && by) out.push({ message, by, at: iso(p.pinnedAt) });
    }
    return out;
  }
}
