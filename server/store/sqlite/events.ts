import type Database from 'better-sqlite3';
import { nowIso } from '../../ids.js';
import { storeErrors } from '../errors.js';
import { eventJson, withEventJson } from '../event-json.js';
import type { Message, PublicUser, RoomEvent, RoomEventType } from '../store.js';

/** Appends one event inside a commit; the payload may depend on the event's seq and time. */
export type Append = (
  roomId: string,
  type: RoomEventType,
  actor: PublicUser | null,
  payload: Record<string, unknown> | ((seq: number, at: string) => Record<string, unknown>),
) => RoomEvent;

type EventData = { actor: PublicUser | null; payload: Record<string, unknown> };

/** The stored data of an event with neither actor nor payload (`{}`) is written as the JSON's closing brace. */
const EMPTY_DATA_TAIL = Buffer.from('}');

/**
 * An event read back from the log: its JSON is a prefix of its own fields and the stored `{ actor, payload }` bytes
 * (written by a replay as they are); actor and payload are parsed only when read. Replays of thousands of events
 * mostly need only the seq and type.
 */
class LoggedEvent implements RoomEvent {
  #data: EventData | undefined;

  constructor(
    readonly roomId: string,
    readonly seq: number,
    readonly type: RoomEventType,
    readonly at: string,
    data: Buffer,
  ) {
    // The same fields as JSON.stringify(event) gives (`at` before actor and payload: key order carries no meaning).
    // The room id is base64url, the type one of RoomEventType's names and `at` an ISO time: none needs escaping.
    const head = `{"roomId":"${roomId}","seq":${seq},"type":"${type}","at":"${at}"`;
    const empty = data.length === 2; // '{}'
    withEventJson(this, { prefix: empty ? head : `${head},`, bytes: empty ? EMPTY_DATA_TAIL : data.subarray(1) });
  }

  get actor(): PublicUser | null {
    return this.data().actor;
  }

  get payload(): Record<string, unknown> {
    return this.data().payload;
  }

  /** Its getters are not own properties: JSON.stringify would leave actor and payload out without this. */
  toJSON(): RoomEvent {
    const { roomId, seq, type, at, actor, payload } = this;
    return { roomId, seq, type, actor, at, payload };
  }

  private data(): EventData {
    return (this.#data ??= JSON.parse(eventJson(this)) as EventData);
  }
}

/**
 * A page of the log in one row: the events' stored data joined into one blob, and each event's seq, type, time and
 * data length in bytes, space-separated (types are names and times ISO strings: neither holds a space). One row of
 * two values is a quarter of the cost of a row per event. The rows are joined in the order the subquery gives them;
 * group_concat does not promise it (its ORDER BY argument doubles the cost), so the reader sorts when needed.
 */
const PAGE_AFTER = `
  SELECT group_concat(seq || ' ' || type || ' ' || at || ' ' || octet_length(data), ' '),
         CAST(group_concat(data, '') AS BLOB)
  FROM (SELECT seq, type, at, data FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?)`;

type PageRow = [meta: string | null, data: Buffer | null];

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
      after: db.prepare<[string, number, number], PageRow>(PAGE_AFTER).raw(),
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
    const [meta, data] = this.stmts.after.get(roomId, afterSeq, limit)!;
    if (meta === null || data === null) return [];
    const fields = meta.split(' ');
    const events: RoomEvent[] = [];
    let ascending = true;
    for (let i = 0, at = 0; i < fields.length; i += 4) {
      const seq = Number(fields[i]);
      const end = at + Number(fields[i + 3]);
      if (events.length > 0 && seq < events[events.length - 1]!.seq) ascending = false;
      events.push(new LoggedEvent(roomId, seq, fields[i + 1] as RoomEventType, fields[i + 2]!, data.subarray(at, end)));
      at = end;
    }
    return ascending ? events : events.sort((a, b) => a.seq - b.seq);
  }
}
