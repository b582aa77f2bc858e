import { createHash } from 'node:crypto';

/**
 * The id of a multi-room stream (`/api/events`): where the stream stands in every room it follows, so a resume
 * delivers each room's missed events exactly once. Two forms:
 *
 * - full: `roomId:seq` pairs joined by commas, one per room (room ids are 16 base64url characters). About 23 bytes
 *   a room: on every event, for someone in 50 rooms, 1.2 KB of id before a 300-byte message.
 * - based: `<base>` or `<base>.<entries>`. The base is a full cursor the server stored under a 12-character hash of
 *   itself (cursor-bases.ts); the entries are the rooms where the stream now stands elsewhere: `i:seq` (the base's
 *   i-th room, in room id order), `roomId:seq` (a room the base does not hold) or `i:-` (a room of the base the
 *   stream no longer follows; a resume treats it as absent, as the full form would). A stream of someone in 50
 *   rooms that is live in one busy room carries an id like `k3Jx0a9_Qm2T.7:1051`.
 *
 * A room in neither the base nor the entries is not followed: a resume starts it at its head, as before.
 */

/** A room's position: the seq of the last event the stream has (or the head it started at). */
export type Positions = Map<string, number>;

const ROOM_ID = /^[A-Za-z0-9_-]{16}$/;
const BASE_ID = /^[A-Za-z0-9_-]{12}$/;
const SEQ = /^\d{1,15}$/;
/** An entry's key: a room of the base by its index, or a room id. */
const INDEX = /^\d{1,5}$/;

/** Stored positions, by id: the rooms in id order and their seqs. */
export interface CursorBase {
  readonly id: string;
  /** The base's full cursor, as stored. */
  readonly text: string;
  readonly rooms: readonly string[];
  readonly seqs: readonly number[];
  /** Room id -> index in `rooms`. */
  readonly index: ReadonlyMap<string, number>;
}

/** A parsed id whose base (if any) is still to be read. */
export type ParsedCursor =
  | { kind: 'full'; positions: Positions }
  | { kind: 'based'; baseId: string; entries: ReadonlyArray<readonly [key: string, seq: number | null]> };

/** The full form; the order of `positions` is kept. */
export function encodeFull(positions: Iterable<readonly [string, number]>): string {
  const parts: string[] = [];
  for (const [roomId, seq] of positions) parts.push(`${roomId}:${seq}`);
  return parts.join(',');
}

/** Parses the full form; null when malformed. */
export function decodeFull(text: string): Positions | null {
  const positions: Positions = new Map();
  if (text === '') return positions;
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    const roomId = part.slice(0, colon);
    const seq = part.slice(colon + 1);
    if (colon < 0 || !ROOM_ID.test(roomId) || !SEQ.test(seq)) return null;
    positions.set(roomId, Number(seq));
  }
  return positions;
}

/** Makes the base of these positions: the same positions always give the same id. */
export function makeBase(positions: Iterable<readonly [string, number]>): CursorBase {
  const sorted = [...positions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = encodeFull(sorted);
  // 72 bits of SHA-256: ids are only made by the server from real positions, so a collision is out of reach.
  const id = createHash('sha256').update(text).digest('base64url').slice(0, 12);
  return baseFrom(id, sorted, text);
}

/** The base stored under `id`; null when its text is not a full cursor in room id order. */
export function parseBase(id: string, text: string): CursorBase | null {
  const positions = decodeFull(text);
  if (!positions) return null;
  const sorted = [...positions];
  for (let i = 1; i < sorted.length; i++) if (sorted[i - 1]![0] >= sorted[i]![0]) return null;
  return baseFrom(id, sorted, text);
}

function baseFrom(id: string, sorted: ReadonlyArray<readonly [string, number]>, text: string): CursorBase {
  const rooms = sorted.map(([roomId]) => roomId);
  return { id, text, rooms, seqs: sorted.map(([, seq]) => seq), index: new Map(rooms.map((r, i) => [r, i])) };
}

/** Parses either form; null when malformed. */
export function parseCursor(raw: string): ParsedCursor | null {
  const dot = raw.indexOf('.');
  const head = dot < 0 ? raw : raw.slice(0, dot);
  if (!BASE_ID.test(head)) {
    const positions = decodeFull(raw);
    return positions && { kind: 'full', positions };
  }
  const entries: [string, number | null][] = [];
  if (dot >= 0) {
    for (const part of raw.slice(dot + 1).split(',')) {
      const colon = part.indexOf(':');
      const key = part.slice(0, colon);
      const seq = part.slice(colon + 1);
      if (colon < 0 || !(INDEX.test(key) || ROOM_ID.test(key)) || !(SEQ.test(seq) || seq === '-')) return null;
      entries.push([key, seq === '-' ? null : Number(seq)]);
    }
  }
  return { kind: 'based', baseId: head, entries };
}

/** Where a resume starts. `lost`: the base is no longer stored, so rooms not in the entries have no known position. */
export interface ResumePoint {
  positions: Positions;
  lost: boolean;
}

/**
 * The positions a based id names, given its base (null when the store no longer has it); null when an entry names
 * a room the base does not hold.
 */
export function resolveCursor(
  parsed: Extract<ParsedCursor, { kind: 'based' }>,
  base: CursorBase | null,
): ResumePoint | null {
  const positions: Positions = new Map();
  if (base) base.rooms.forEach((roomId, i) => positions.set(roomId, base.seqs[i]!));
  for (const [key, seq] of parsed.entries) {
    const isIndex = key.length !== 16;
    if (isIndex && !base) continue; // lost with its base
    const roomId = isIndex ? base!.rooms[Number(key)] : key;
    if (roomId === undefined) return null;
    if (seq === null) positions.delete(roomId);
    else positions.set(roomId, seq);
  }
  return { positions, lost: base === null };
}
