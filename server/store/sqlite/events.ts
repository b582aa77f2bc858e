import type Database from 'better-sqlite3';
import { nowIso } from '../../ids.js';
import { storeErrors } from '../errors.js';
import { withEventJson } from '../event-json.js';
import type { Message, PublicUser, RoomEvent, RoomEventType } from '../store.js';

/** Appends one event inside a commit; the payload may depend on the event's seq and time. */
export type Append = (
  roomId: string,
  type: RoomEventType,
  actor: PublicUser | null,
  payload: Record<string, unknown> | ((seq: number, at: string) => Record<string, unknown>),
) => RoomEvent;

type EventData = { actor: PublicUser | null; payload: Record<string, unknown> };

/** A replayed row: seq, type, at, and data, the JSON `{ actor, payload }` with the actor as it was when the event
 * happened (a raw row, not an object: a page is read thousands of rows at a time). */
type ReplayRow = [seq: number, type: string, at: string, data: string];

/**
 * A row as a RoomEvent whose actor and payload are parsed when first read: a replay mostly needs only the seq and
 * type, and writes the stored JSON as it is (event-json.ts).
 */
function toEvent(roomId: string, roomJson: string, [seq, type, at, data]: ReplayRow): RoomEvent {
  let parsedData: EventData | undefined;
  const parsed = () => (parsedData ??= JSON.parse(data) as EventData);
  const event: RoomEvent = {
    roomId,
    seq,
    type: type as RoomEventType,
    get actor() {
      return parsed().actor;
    },
    at,
    get payload() {
      return parsed().payload;
    },
  };
  // The same fields as JSON.stringify(event) gives (`at` before actor and payload: key order carries no meaning). The
  // type is one of RoomEventType's names and `at` an ISO time: neither needs escaping.
  const head = `{"roomId":${roomJson},"seq":${seq},"type":"${type}","at":"${at}"`;
  return withEventJson(event, data === '{}' ? `${head}}` : `${head},${data.slice(1)}`);
}

/** Each room's append-only log. A room's lastSeq is the log's head: an append takes lastSeq + 1. */
export class SqliteEventLog {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      bumpSeq: db.prepare<[string], { last_seq: number }>(
        `UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? AND deleted_at IS NULL RETURNING last_seq`,
      ),
      insert: db.prepare<[string, number, string, string | null, string, string, number | null]>(
        `INSERT INTO room_events (room_id, seq, type, actor_id, at, data, message_seq) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      redact: db.prepare<[string | null, string, string | null, string | null, string, string, string, string, number]>(
        `UPDATE room_events SET data = json_set(data,
           '$.payload.message.text', ?, '$.payload.message.attachments', json(?),
           '$.payload.message.editedAt', ?, '$.payload.message.deletedAt', ?,
           '$.payload.message.mentions', json(?), '$.payload.message.mentionsRoom', json(?),
           '$.payload.message.mentionsHere', json(?))
         WHERE room_id = ? AND message_seq = ?`,
      ),
      after: db
        .prepare<[string, number, number], ReplayRow>(
          `SELECT seq, type, at, data FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        )
        .raw(),
    };
  }

  /** An Append for one write inside a transaction; `emit` receives each event appended, to publish after commit. */
  appender(emit: (event: RoomEvent) => void): Append {
    return (roomId, type, actor, payloadOf) => {
      const bumped = this.stmts.bumpSeq.get(roomId);
      if (!bumped) throw storeErrors.roomNotFound();
      const seq = bumped.last_seq;
      const at = nowIso();
      const payload = typeof payloadOf === 'function' ? payloadOf(seq, at) : payloadOf;
      const event: RoomEvent = { roomId, seq, type, actor, at, payload };
      const messageSeq = (payload as { message?: { seq?: unknown } }).message?.seq;
      this.stmts.insert.run(
        roomId,
        seq,
        type,
        actor?.id ?? null,
        at,
        JSON.stringify({ actor, payload }),
        typeof messageSeq === 'number' ? messageSeq : null,
      );
      emit(event);
      return event;
    };
  }

  /**
   * Every stored copy of a message (its message.created, .edited and .deleted events) takes the message's current
   * text and attachments, so the log and replays never serve deleted text or an edit's previous text. The events
   * stay, with their seqs; only their content is redacted. Call inside the edit's or delete's commit.
   */
  redactCopies(message: Message): void {
    this.stmts.redact.run(
      message.text,
      JSON.stringify(message.attachments),
      message.editedAt,
      message.deletedAt,
      // An edit changes whom the text mentions; a delete leaves none.
      JSON.stringify(message.mentions),
      JSON.stringify(message.mentionsRoom),
      JSON.stringify(message.mentionsHere),
      message.roomId,
      message.seq,
    );
  }

  after(roomId: string, afterSeq: number, limit: number): RoomEvent[] {
    const roomJson = JSON.stringify(roomId);
    return this.stmts.after.all(roomId, afterSeq, limit).map((row) => toEvent(roomId, roomJson, row));
  }
}
