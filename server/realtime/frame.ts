import { eventJson } from '../store/event-json.js';
import type { RoomEvent } from '../store/store.js';

/** A stored event encoded once for every subscriber: `frame` is the whole SSE frame with the room seq as its id;
 * `body` is the same frame without the id line, for streams whose id is a multi-room cursor. */
export interface EncodedEvent {
  readonly event: RoomEvent;
  readonly frame: Buffer;
  readonly body: Buffer;
}

/** CR, LF and NUL would end or corrupt an SSE field; they never reach `id:` or `event:`. */
export function fieldValue(value: string): string {
  return value.replace(/[\r\n\0]/g, '');
}

/** The JSON a stream carries for a stored event (one line: JSON escapes every newline). */
export function eventData(event: RoomEvent): string {
  return eventJson(event);
}

export function encodeEvent(event: RoomEvent): EncodedEvent {
  const idLine = `id: ${event.seq}\n`;
  const frame = Buffer.from(`${idLine}event: ${fieldValue(event.type)}\ndata: ${eventData(event)}\n\n`);
  // The body is a view of the frame's bytes after the id line (ASCII, so its length in bytes), not a second copy.
  return { event, frame, body: frame.subarray(idLine.length) };
}

/** An event with no id: presence, typing, receipts, reset notices. Not stored, not replayed. */
export function encodeEphemeral(type: string, data: unknown, id?: string): Buffer {
  const idLine = id === undefined ? '' : `id: ${fieldValue(id)}\n`;
  return Buffer.from(`${idLine}event: ${fieldValue(type)}\ndata: ${JSON.stringify(data)}\n\n`);
}

export const HEARTBEAT = Buffer.from(':\n\n');

/** An id with no event: moves the client's last event id (what it resumes from) and dispatches nothing. */
export function positionFrame(id: string): Buffer {
  return Buffer.from(`id: ${fieldValue(id)}\n\n`);
}

export function retryFrame(ms: number): Buffer {
  return Buffer.from(`retry: ${Math.floor(ms)}\n\n`);
}

/** The id of the multi-room stream: `roomId:seq` pairs joined by commas (room ids are base64url, so unambiguous). */
export function encodeCursor(positions: Iterable<[string, number]>): string {
  const parts: string[] = [];
  for (const [roomId, seq] of positions) parts.push(`${roomId}:${seq}`);
  return parts.join(',');
}

/** Parses a multi-room cursor; null when malformed. */
export function decodeCursor(cursor: string): Map<string, number> | null {
  const positions = new Map<string, number>();
  if (cursor === '') return positions;
  for (const part of cursor.split(',')) {
    const m = /^([A-Za-z0-9_-]{16}):(\d{1,15})$/.exec(part);
    if (!m) return null;
    positions.set(m[1]!, Number(m[2]));
  }
  return positions;
}
