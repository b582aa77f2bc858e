import type { ClientSession } from 'mongoose';
import type { Message, PublicUser, ReplyRef, RoomEvent } from '../store.js';
import { THREAD_PARTICIPANTS, excerptOf, replyRefOf, threadSummary } from '../threads.js';
import { iso } from './mappers.js';
import type { MessageDoc, Models } from './models.js';
import type { ThreadDoc } from './thread-models.js';
import type { Append } from './transact.js';
import type { MongoUsers } from './users.js';

/**
 * Threads: a root's summary lives on its message document and is recomputed from its live replies in the
 * transaction of every change to them; replies quote their parent as it is when read.
 */
export class MongoThreads {
  constructor(
    private readonly m: Models,
    private readonly users: MongoUsers,
  ) {}

  /** Recomputes the root's summary, stores it and appends thread.updated. Runs inside the reply's transaction. */
  async refresh(session: ClientSession, append: Append, roomId: string, rootSeq: number, actor: PublicUser) {
    const live = { roomId, threadSeq: rootSeq, deletedAt: null };
    const [stats] = await this.m.messages
      .aggregate<{ replies: number; last: Date | null }>(
        [{ $match: live }, { $group: { _id: null, replies: { $sum: 1 }, last: { $max: '$createdAt' } } }],
        { session },
      )
      .exec();
    const repliers = await this.m.messages
      .aggregate<{ _id: string }>(
        [
          { $match: live },
          { $group: { _id: '$authorId', latest: { $max: '$seq' } } },
          { $sort: { latest: -1 } },
          { $limit: THREAD_PARTICIPANTS },
        ],
        { session },
      )
      .exec();
    const thread: ThreadDoc = {
      replies: stats?.replies ?? 0,
      lastReplyAt: stats?.last ?? null,
      participantIds: repliers.map((r) => r._id),
    };
    await this.m.messages.updateOne({ roomId, seq: rootSeq }, { $set: { thread } }, { session }).exec();
    const profiles = await this.users.publicUsers(thread.participantIds, session);
    const summary = this.summaryOf(thread, profiles);
    const event: RoomEvent = await append(roomId, 'thread.updated', actor, { seq: rootSeq, thread: summary });
    return event;
  }

  summaryOf(thread: ThreadDoc | null | undefined, users: Map<string, PublicUser>) {
    if (!thread) return null;
    const participants = thread.participantIds.flatMap((id) => users.get(id) ?? []);
    return threadSummary(thread.replies, thread.lastReplyAt ? iso(thread.lastReplyAt) : null, participants);
  }

  /** The parents of the replies among `docs`, by room and seq ("roomId/seq"). */
  async parentsOf(docs: MessageDoc[], session?: ClientSession): Promise<Map<string, MessageDoc>> {
    const wanted = docs.filter((d) => typeof d.replyToSeq === 'number');
    const byRoom = new Map<string, number[]>();
    for (const d of wanted) byRoom.set(d.roomId, [...(byRoom.get(d.roomId) ?? []), d.replyToSeq!]);
    const parents = new Map<string, MessageDoc>();
    for (const [roomId, seqs] of byRoom) {
      const found = await this.m.messages
        .find({ roomId, seq: { $in: [...new Set(seqs)] } }, null, { session })
        .lean<MessageDoc[]>()
        .exec();
      for (const p of found) parents.set(`${roomId}/${p.seq}`, p);
    }
    return parents;
  }

  /** What a reply shows of its parent now (null fields once the parent is deleted or its author is gone). */
  replyRef(doc: MessageDoc, parents: Map<string, MessageDoc>, users: Map<string, PublicUser>): ReplyRef | null {
    if (typeof doc.replyToSeq !== 'number') return null;
    const parent = parents.get(`${doc.roomId}/${doc.replyToSeq}`);
    const author = parent ? users.get(parent.authorId) : undefined;
    if (!parent || parent.deletedAt || !author) return { seq: doc.replyToSeq, author: null, excerpt: null };
    return { seq: doc.replyToSeq, author, excerpt: excerptOf(parent.text, false) };
  }

  /**
   * The replies' stored copies quote `parent` as it is now (its new text, or nothing once deleted), so the log never
   * serves a parent's deleted or previous text through a reply. Runs inside the edit's or delete's transaction.
   */
  async redactExcerpts(parent: Message, session: ClientSession): Promise<void> {
    const { author, excerpt } = replyRefOf(parent);
    await this.m.events
      .updateMany(
        { roomId: parent.roomId, 'payload.message.replyTo.seq': parent.seq },
        { $set: { 'payload.message.replyTo.author': author, 'payload.message.replyTo.excerpt': excerpt } },
        { session },
      )
      .exec();
  }
}
