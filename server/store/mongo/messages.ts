import type { ClientSession } from 'mongoose';
import { storeErrors } from '../errors.js';
import type {
  Attachment,
  Message,
  MessagePage,
  MessageSearch,
  NewMessage,
  PublicUser,
  ReplyRef,
  RoomEvent,
  Store,
  Upload,
} from '../store.js';
import { replyRefOf } from '../threads.js';
import { toRoomEvent } from './change-watcher.js';
import { duplicateKey, toAttachment, toMessage, toUpload } from './mappers.js';
import { UNUSED, type EventDoc, type MessageDoc, type Models, type UploadDoc } from './models.js';
import { redactCopies } from './redaction.js';
import type { Reporter } from './connect.js';
import { ConcurrencyLimit } from '../../concurrency-limit.js';
import { searchFields, searchFilter } from './search.js';
import { MongoThreads } from './threads.js';
import type { Transactor } from './transact.js';
import { queueBlobDeletions } from './uploads.js';
import { NO_MENTIONS, type MongoMentions } from './mentions.js';
import type { MongoUsers } from './users.js';

type LogMethods =
  | 'postMessage'
  | 'editMessage'
  | 'deleteMessage'
  | 'getMessage'
  | 'listMessages'
  | 'listThread'
  | 'searchMessages'
  | 'eventsAfter';

/**
 * Log reads at once. After the change stream lost its position, every stream of the instance replays its rooms from
 * the store at the same moment; the limit turns that herd into a queue. Waiting here costs nothing of the driver's
 * time budget (an operation's timeoutMS starts when it is sent), so a burst queues instead of timing out in the
 * connection pool, and leaves connections free for everything else.
 */
export const LOG_READS_AT_ONCE = 16;

/** The event log and the messages read model (a message is stored with its event, in one transaction). */
export class MongoMessages implements Pick<Store, LogMethods> {
  private readonly logReads = new ConcurrencyLimit(LOG_READS_AT_ONCE);
  private readonly threads: MongoThreads;

  constructor(
    private readonly m: Models,
    private readonly tx: Transactor,
    private readonly users: MongoUsers,
    private readonly report: Reporter,
    private readonly mentions: MongoMentions,
  ) {
    this.threads = new MongoThreads(m, users);
  }

  /** Messages with their authors' current profiles, the parents replies quote and the threads' participants (also
   * how reactions.ts shows the messages it pins). */
  async withAuthors(docs: MessageDoc[], session?: ClientSession): Promise<Message[]> {
    const parents = await this.threads.parentsOf(docs, session);
    const ids = docs.flatMap((d) => [d.authorId, ...(d.thread?.participantIds ?? [])]);
    for (const p of parents.values()) ids.push(p.authorId);
    const users = await this.users.publicUsers(ids, session);
    const out: Message[] = [];
    for (const d of docs) {
      const author = users.get(d.authorId);
      const thread = {
        replyTo: this.threads.replyRef(d, parents, users),
        thread: this.threads.summaryOf(d.thread, users),
      };
      if (author) out.push(toMessage(d, author, thread));
    }
    return out;
  }

  async postMessage(
    roomId: string,
    author: PublicUser,
    input: NewMessage,
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
      const posted = await this.appendMessage(roomId, author, input, clientId, input.online ?? [], earlier);
      if (posted.created) await this.readUpTo(roomId, author.id, posted.message.seq);
      return posted;
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
    input: { text: string | null; attachments: string[]; replyTo?: number | null },
    clientId: string | null,
    online: string[],
    earlier: (session: ClientSession) => Promise<Message | null>,
  ): Promise<{ message: Message; created: boolean }> {
    const { text, attachments: uploadIds } = input;
    return this.tx.run(async (session, append) => {
      // A retry (or a racing copy) of a post already committed: answer with its message, write nothing.
      const found = await earlier(session);
      if (found) return { message: found, created: false };
      // A reply joins its parent's thread; the root is the thread's first message.
      let replyTo: ReplyRef | null = null;
      let threadSeq: number | null = null;
      if (input.replyTo != null) {
        const parentDoc = await this.m.messages
          .findOne({ roomId, seq: input.replyTo }, null, { session })
          .lean<MessageDoc>()
          .exec();
        const [parent] = parentDoc ? await this.withAuthors([parentDoc], session) : [];
        if (!parent) throw storeErrors.replyToUnknown(input.replyTo);
        if (parent.deletedAt !== null) throw storeErrors.replyToDeleted(input.replyTo);
        replyTo = replyRefOf(parent);
        threadSeq = parent.threadSeq ?? parent.seq;
      }
      const mentioned = await this.mentions.resolve(roomId, text, author.id, session);
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
            .findOneAndUpdate(
              { _id: id, ownerId: author.id, roomId, messageSeq: UNUSED },
              { $set: { messageSeq: seq } },
              { session, new: true },
            )
            .lean<UploadDoc>()
            .exec();
          if (!upload) throw storeErrors.invalidAttachment(id);
          attachments.push(toAttachment({ ...upload, id: upload._id }));
        }
        message = {
          ...{ roomId, seq, author, text, attachments, createdAt: at, editedAt: null, deletedAt: null, clientId },
          ...{ replyTo, threadSeq, thread: null, ...mentioned },
        };
        return { message };
      });
      const doc: MessageDoc = {
        roomId,
        seq: event.seq,
        authorId: author.id,
        text,
        attachments: message.attachments,
        createdAt: new Date(event.at),
        editedAt: null,
        deletedAt: null,
        clientId,
        replyToSeq: replyTo?.seq ?? null,
        threadSeq,
        thread: null,
        ...searchFields(text),
        ...mentioned,
      };
      await this.m.messages.create([doc], { session });
      await this.mentions.record({ ...message, authorId: author.id }, mentioned, online, session);
      if (threadSeq !== null) await this.threads.refresh(session, append, roomId, threadSeq, author);
      return { message, created: true };
    });
  }

  /**
   * Whoever posts has the room up to their own message: it counts as delivered to and read by them. After the
   * commit, not in it: the poster's membership is also written by their receipts (every RECEIPT_BATCH_MS while they
   * stream), and each of those would abort the append. $max is monotonic, so it needs no transaction; if it fails,
   * the post stands and the next receipt moves the watermarks.
   */
  private async readUpTo(roomId: string, userId: string, seq: number): Promise<void> {
    try {
      await this.m.memberships.updateOne({ roomId, userId }, { $max: { readSeq: seq, deliveredSeq: seq } }).exec();
    } catch (err) {
      this.report(err, 'marking a post read by its author failed');
    }
  }

  async editMessage(
    roomId: string,
    seq: number,
    actor: PublicUser,
    text: string,
    online: string[] = [],
  ): Promise<{ message: Message; event: RoomEvent }> {
    return this.tx.run(async (session, append) => {
      const edited = await this.m.messages
        .findOneAndUpdate(
          { roomId, seq, deletedAt: null },
          { $set: { text, editedAt: new Date(), ...searchFields(text) } },
          { session, new: true },
        )
        .lean<MessageDoc>()
        .exec();
      if (!edited) throw storeErrors.messageNotFound();
      const mentioned = await this.mentions.resolve(roomId, text, edited.authorId, session);
      const createdAt = edited.createdAt.toISOString();
      await this.mentions.record({ roomId, seq, createdAt, authorId: edited.authorId }, mentioned, online, session);
      const [message] = await this.withAuthors([{ ...edited, ...mentioned }], session);
      if (!message) throw storeErrors.messageNotFound();
      const event = await append(roomId, 'message.edited', actor, { message });
      await redactCopies(this.m, message, session);
      await this.threads.redactExcerpts(message, session);
      return { message, event };
    });
  }

  async deleteMessage(
    roomId: string,
    seq: number,
    actor: PublicUser,
  ): Promise<{ message: Message; event: RoomEvent; removedUploads: Upload[] }> {
    return this.tx.run(async (session, append) => {
      const doc = await this.m.messages
        .findOneAndUpdate(
          { roomId, seq, deletedAt: null },
          { $set: { text: null, attachments: [], deletedAt: new Date(), ...searchFields(null), ...NO_MENTIONS } },
          { session, new: true },
        )
        .lean<MessageDoc>()
        .exec();
      if (!doc) throw storeErrors.messageNotFound();
      const [message] = await this.withAuthors([doc], session);
      if (!message) throw storeErrors.messageNotFound();
      // The message's uploads go in the same transaction (read and delete in one snapshot: nothing else writes a used
      // upload), and their GridFS files are queued for deletion: the caller discards them after the commit, and what
      // that cannot delete stays queued for the upload janitor.
      await this.mentions.clear(roomId, seq, session); // a deleted message mentions no one
      const used = await this.m.uploads.find({ roomId, messageSeq: seq }, null, { session }).lean<UploadDoc[]>().exec();
      const ids = used.map((u) => u._id);
      if (ids.length > 0) {
        await this.m.uploads.deleteMany({ _id: { $in: ids } }, { session }).exec();
        await queueBlobDeletions(this.m, ids, session);
      }
      // Its reactions and its pin go with it (message.deleted says so; they have no events of their own).
      await this.m.reactions.deleteMany({ roomId, seq }, { session }).exec();
      await this.m.pins.deleteMany({ roomId, seq }, { session }).exec();
      const event = await append(roomId, 'message.deleted', actor, { seq, message });
      await redactCopies(this.m, message, session);
      await this.threads.redactExcerpts(message, session);
      // A deleted reply no longer counts in its thread.
      if (message.threadSeq !== null) await this.threads.refresh(session, append, roomId, message.threadSeq, actor);
      return { message, event, removedUploads: used.map(toUpload) };
    });
  }

  async getMessage(roomId: string, seq: number): Promise<Message | null> {
    const doc = await this.m.messages.findOne({ roomId, seq }).lean<MessageDoc>().exec();
    if (!doc) return null;
    const [message] = await this.withAuthors([doc]);
    return message ?? null;
  }

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    const messages = this.m.messages;
    let query;
    if (page.after !== undefined) query = messages.find({ roomId, seq: { $gt: page.after } }).sort({ seq: 1 });
    else if (page.before !== undefined) query = messages.find({ roomId, seq: { $lt: page.before } }).sort({ seq: -1 });
    else query = messages.find({ roomId }).sort({ seq: -1 });
    const docs = await query.limit(page.limit).lean<MessageDoc[]>().exec();
    return this.withAuthors(docs);
  }

  async listThread(roomId: string, rootSeq: number, page: { after?: number; limit: number }): Promise<Message[]> {
    const docs = await this.m.messages
      .find({ roomId, threadSeq: rootSeq, seq: { $gt: page.after ?? 0 } })
      .sort({ seq: 1 })
      .limit(page.limit)
      .lean<MessageDoc[]>()
      .exec();
    return this.withAuthors(docs);
  }

  async searchMessages(userId: string, search: MessageSearch): Promise<Message[]> {
    if (search.limit <= 0) return []; // limit(0) would be no limit
    const filter = await searchFilter(this.m, userId, search);
    const docs = await this.m.messages
      .find(filter)
      .sort({ createdAt: -1, roomId: -1, seq: -1 })
      .limit(search.limit)
      .lean<MessageDoc[]>()
      .exec();
    return this.withAuthors(docs);
  }

  async eventsAfter(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    // MongoDB reads limit(0) as no limit at all: "at most 0" must not become the whole log.
    if (limit <= 0) return [];
    const docs = await this.logReads.run(() =>
      this.m.events
        .find({ roomId, seq: { $gt: afterSeq } })
        .sort({ seq: 1 })
        .limit(limit)
        .lean<EventDoc[]>()
        .exec(),
    );
    return docs.map(toRoomEvent);
  }
}
