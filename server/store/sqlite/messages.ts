import type Database from 'better-sqlite3';
import { nowIso } from '../../ids.js';
import { storeErrors } from '../errors.js';
import type { Attachment, Message, MessagePage, PublicUser, RoomEvent, Upload } from '../store.js';
import type { Append, SqliteEventLog } from './events.js';
import type { SqliteReceipts } from './receipts.js';
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
}

const SELECT = `
  SELECT m.room_id, m.seq, m.text, m.attachments, m.created_at, m.edited_at, m.deleted_at, m.client_id,
         ${publicUserColumns('u', 'a_')}
  FROM messages m JOIN users u ON u.id = m.author_id`;

function toMessage(r: MessageRow): Message {
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

/** Messages: the read model of each room's message events (a message's seq is its message.created event's). */
export class SqliteMessages {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly uploads: SqliteUploads,
    private readonly receipts: SqliteReceipts,
    private readonly log: SqliteEventLog,
  ) {
    this.stmts = {
      insert: db.prepare<[string, number, string, string | null, string, string, string | null]>(
        `INSERT INTO messages (room_id, seq, author_id, text, attachments, created_at, client_id)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
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
    };
  }

  post(
    append: Append,
    roomId: string,
    author: PublicUser,
    input: { text: string | null; attachments: string[]; clientId?: string | null },
  ): { message: Message; created: boolean } {
    const clientId = input.clientId ?? null;
    if (clientId !== null) {
      const earlier = this.stmts.byClientId.get(roomId, author.id, clientId);
      if (earlier) return { message: toMessage(earlier), created: false };
    }
    // The event carries the message; the message's seq and time are its creation event's.
    let message!: Message;
    let attachments: Attachment[] = [];
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
      };
      return { message };
    });
    this.stmts.insert.run(roomId, event.seq, author.id, input.text, JSON.stringify(attachments), event.at, clientId);
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
  ): { message: Message; event: RoomEvent } {
    if (this.stmts.edit.run(text, nowIso(), roomId, seq).changes === 0) throw storeErrors.messageNotFound();
    const message = this.get(roomId, seq)!;
    const event = append(roomId, 'message.edited', actor, { message });
    this.log.redactCopies(message);
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
    const message = this.get(roomId, seq)!;
    const removedUploads = this.uploads.removeOfMessage(roomId, seq);
    const event = append(roomId, 'message.deleted', actor, { seq, message });
    this.log.redactCopies(message);
    return { message, event, removedUploads };
  }

  get(roomId: string, seq: number): Message | null {
    const r = this.stmts.one.get(roomId, seq);
    return r ? toMessage(r) : null;
  }

  list(roomId: string, page: MessagePage): Message[] {
    let rows: MessageRow[];
    if (page.after !== undefined) rows = this.stmts.after.all(roomId, page.after, page.limit);
    else if (page.before !== undefined) rows = this.stmts.before.all(roomId, page.before, page.limit);
    else rows = this.stmts.latest.all(roomId, page.limit);
    return rows.map(toMessage);
  }
}
