import type Database from 'better-sqlite3';
import { nowIso } from '../../ids.js';
import { storeErrors } from '../errors.js';
import type {
  Attachment,
  Message,
  MessagePage,
  NewMessage,
  PublicUser,
  ReplyRef,
  RoomEvent,
  Upload,
} from '../store.js';
import { replyRefOf, threadSummary } from '../threads.js';
import type { Append, SqliteEventLog } from './events.js';
import type { SqliteMentions } from './mentions.js';
import type { SqliteReceipts } from './receipts.js';
import type { SqliteThreads } from './threads.js';
import type { SqliteUploads } from './uploads.js';
import { publicUserColumns, toPublicUser, type PrefixedProfile } from './users.js';

/** A message with its author's current profile. */
interface MessageRow extends PrefixedProfile<'a_'> {
  room_id: string;
  seq: number;
  text: string | null;
  /** JSON: the attachments' metadata, copied from their uploads when posted. */
  attachments: string;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
  client_id: string | null;
  reply_to_seq: number | null;
  thread_seq: number | null;
  thread_replies: number;
  thread_last_reply_at: string | null;
  /** JSON: ids of the thread's participants, the most recent replier first. */
  thread_participants: string;
  /** JSON: ids of the members named. */
  mentions: string;
  mentions_room: number;
  mentions_here: number;
}

const SELECT = `
  SELECT m.room_id, m.seq, m.text, m.attachments, m.created_at, m.edited_at, m.deleted_at, m.client_id,
         m.reply_to_seq, m.thread_seq, m.thread_replies, m.thread_last_reply_at, m.thread_participants,
         m.mentions, m.mentions_room, m.mentions_here,
         ${publicUserColumns('u', 'a_')}
  FROM messages m JOIN users u ON u.id = m.author_id`;

function toMessage(r: MessageRow, threads: SqliteThreads): Message {
  const participants = r.thread_replies > 0 ? threads.users(JSON.parse(r.thread_participants) as string[]) : [];
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
    // Replies are a minority of a page: a point lookup each costs less than joining every row to a parent.
    replyTo: r.reply_to_seq === null ? null : threads.quote(r.room_id, r.reply_to_seq),
    threadSeq: r.thread_seq ?? null,
    thread: threadSummary(r.thread_replies, r.thread_last_reply_at, participants),
    mentions: JSON.parse(r.mentions) as string[],
    mentionsRoom: r.mentions_room === 1,
    mentionsHere: r.mentions_here === 1,
  };
}

/** Messages: the read model of each room's message events (a message's seq is its message.created event's). */
export class SqliteMessages {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly uploads: SqliteUploads,
    private readonly receipts: SqliteReceipts,
    private readonly log: SqliteEventLog,
    private readonly threads: SqliteThreads,
    private readonly mentions: SqliteMentions,
  ) {
    this.stmts = {
      insert: db.prepare<
        [string, number, string, string | null, string, string, string | null, number | null, number | null]
      >(
        `INSERT INTO messages (room_id, seq, author_id, text, attachments, created_at, client_id, reply_to_seq,
           thread_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byClientId: db.prepare<[string, string, string], MessageRow>(
        `${SELECT} WHERE m.room_id = ? AND m.author_id = ? AND m.client_id = ?`,
      ),
      one: db.prepare<[string, number], MessageRow>(`${SELECT} WHERE m.room_id = ? AND m.seq = ?`),
      edit: db.prepare<[string, string, string, number]>(
        `UPDATE messages SET text = ?, edited_at = ? WHERE room_id = ? AND seq = ? AND deleted_at IS NULL`,
      ),
      delete: db.prepare<[string, string, number]>(
        `UPDATE messages SET text = NULL, attachments = '[]', deleted_at = ?
         WHERE room_id = ? AND seq = ? AND deleted_at IS NULL`,
      ),
      latest: db.prepare<[string, number], MessageRow>(`${SELECT} WHERE m.room_id = ? ORDER BY m.seq DESC LIMIT ?`),
      before: db.prepare<[string, number, number], MessageRow>(
        `${SELECT} WHERE m.room_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
      ),
      after: db.prepare<[string, number, number], MessageRow>(
        `${SELECT} WHERE m.room_id = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?`,
      ),
      thread: db.prepare<[string, number, number, number], MessageRow>(
        `${SELECT} WHERE m.room_id = ? AND m.thread_seq = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?`,
      ),
    };
  }

  private toMessage(r: MessageRow): Message {
    return toMessage(r, this.threads);
  }

  post(append: Append, roomId: string, author: PublicUser, input: NewMessage): { message: Message; created: boolean } {
    const clientId = input.clientId ?? null;
    if (clientId !== null) {
      const earlier = this.stmts.byClientId.get(roomId, author.id, clientId);
      if (earlier) return { message: this.toMessage(earlier), created: false };
    }
    // A reply joins its parent's thread; the root is the thread's first message.
    let replyTo: ReplyRef | null = null;
    let threadSeq: number | null = null;
    if (input.replyTo != null) {
      const parent = this.get(roomId, input.replyTo);
      if (!parent) throw storeErrors.replyToUnknown(input.replyTo);
      if (parent.deletedAt !== null) throw storeErrors.replyToDeleted(input.replyTo);
      replyTo = replyRefOf(parent);
      threadSeq = parent.threadSeq ?? parent.seq;
    }
    // The event carries the message; the message's seq and time are its creation event's.
    let message!: Message;
    let attachments: Attachment[] = [];
    const mentioned = this.mentions.resolve(roomId, input.text, author.id);
    const event = append(roomId, 'message.created', author, (seq, at) => {
      attachments = input.attachments.map((id) => this.uploads.attach(id, roomId, seq, author.id));
      message = {
        roomId,
        seq,
        author,
        text: input.text,
        attachments,
        createdAt: at,
        editedAt: null,
        deletedAt: null,
        clientId,
        ...mentioned,
        replyTo,
        threadSeq,
        thread: null,
      };
      return { message };
    });
    const json = JSON.stringify(attachments);
    this.stmts.insert.run(
      roomId,
      event.seq,
      author.id,
      input.text,
      json,
      event.at,
      clientId,
      replyTo?.seq ?? null,
      threadSeq,
    );
    this.mentions.record(roomId, event.seq, event.at, author.id, mentioned, input.online ?? []);
    if (threadSeq !== null) this.threads.refresh(append, roomId, threadSeq, author);
    // Whoever posts has the room up to their own message: it counts as delivered to and read by them.
    this.receipts.markRead({ roomId, userId: author.id, seq: event.seq });
    return { message, created: true };
  }

  edit(
    append: Append,
    roomId: string,
    seq: number,
    actor: PublicUser,
    text: string,
    online: string[] = [],
  ): { message: Message; event: RoomEvent } {
    if (this.stmts.edit.run(text, nowIso(), roomId, seq).changes === 0) throw storeErrors.messageNotFound();
    const edited = this.get(roomId, seq)!;
    const mentioned = this.mentions.resolve(roomId, text, edited.author.id);
    this.mentions.record(roomId, seq, edited.createdAt, edited.author.id, mentioned, online);
    const message = this.get(roomId, seq)!;
    const event = append(roomId, 'message.edited', actor, { message });
    this.log.redactCopies(message);
    this.threads.redactExcerpts(message);
    return { message, event };
  }

  /** Also removes the message's uploads (their rows) and returns them. */
  delete(
    append: Append,
    roomId: string,
    seq: number,
    actor: PublicUser,
  ): { message: Message; event: RoomEvent; removedUploads: Upload[] } {
    if (this.stmts.delete.run(nowIso(), roomId, seq).changes === 0) throw storeErrors.messageNotFound();
    this.mentions.clear(roomId, seq);
    const message = this.get(roomId, seq)!;
    const removedUploads = this.uploads.removeOfMessage(roomId, seq);
    const event = append(roomId, 'message.deleted', actor, { seq, message });
    this.log.redactCopies(message);
    this.threads.redactExcerpts(message);
    // A deleted reply no longer counts in its thread.
    if (message.threadSeq !== null) this.threads.refresh(append, roomId, message.threadSeq, actor);
    return { message, event, removedUploads };
  }

  get(roomId: string, seq: number): Message | null {
    const r = this.stmts.one.get(roomId, seq);
    return r ? this.toMessage(r) : null;
  }

  list(roomId: string, page: MessagePage): Message[] {
    let rows: MessageRow[];
    if (page.after !== undefined) rows = this.stmts.after.all(roomId, page.after, page.limit);
    else if (page.before !== undefined) rows = this.stmts.before.all(roomId, page.before, page.limit);
    else rows = this.stmts.latest.all(roomId, page.limit);
    return rows.map((r) => this.toMessage(r));
  }

  listThread(roomId: string, rootSeq: number, page: { after?: number; limit: number }): Message[] {
    return this.stmts.thread.all(roomId, rootSeq, page.after ?? 0, page.limit).map((r) => this.toMessage(r));
  }
}
