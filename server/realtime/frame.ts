import { eventJson, storedEventJson, withEventJson } from '../store/event-json.js';
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

const frameText = (event: RoomEvent) =>
  `id: ${event.seq}\nevent: ${fieldValue(event.type)}\ndata: ${eventData(event)}\n\n`;

/** The id line's length in bytes (ASCII): the body is a view of the frame after it, not a second copy. */
const idLineBytes = (event: RoomEvent) => `id: ${event.seq}\n`.length;

export function encodeEvent(event: RoomEvent): EncodedEvent {
  const frame = Buffer.from(frameText(event));
  return { event, frame, body: frame.subarray(idLineBytes(event)) };
}

/**
 * A page of stored events (ascending) encoded into one buffer, each frame a view of it: one allocation instead of
 * one per event, and a run of them is written as a view too (`contiguousFrames`), with no copy. JSON the store read
 * as bytes is copied as it is, and the event's JSON then points into the frame, so the store's page can go.
 */
export function encodeEvents(events: readonly RoomEvent[]): EncodedEvent[] {
  // Heads are ASCII (a seq, a type's name, and a stored JSON's prefix): their length is their size in bytes.
  const heads: string[] = [];
  const bodies: (string | Buffer)[] = [];
  let total = 0;
  for (const event of events) {
    const stored = storedEventJson(event);
    const head = `id: ${event.seq}\nevent: ${fieldValue(event.type)}\ndata: ${stored ? stored.prefix : ''}`;
    const body = stored ? stored.bytes : eventData(event);
    heads.push(head);
    bodies.push(body);
    total += head.length + (typeof body === 'string' ? Buffer.byteLength(body) : body.length) + 2;
  }
  const pageBytes = Buffer.allocUnsafeSlow(total);
  let at = 0;
  return events.map((event, i) => {
    const start = at;
    const idLine = idLineBytes(event);
    at += pageBytes.write(heads[i]!, at, 'latin1');
    const body = bodies[i]!;
    if (typeof body === 'string') at += pageBytes.write(body, at);
    else {
      // The event's JSON (its prefix ends the head) now lies in the frame: the store's copy of the page can go.
      const jsonStart = at - storedEventJson(event)!.prefix.length;
      at += body.copy(pageBytes, at);
      withEventJson(event, { prefix: '', bytes: pageBytes.subarray(jsonStart, at) });
    }
    pageBytes[at++] = 0x0a;
    pageBytes[at++] = 0x0a;
    const frame = pageBytes.subarray(start, at);
    return { event, frame, body: frame.subarray(idLine) };
  });
}

/** The frames of a run as one view when they lie back to back in one buffer (a page from `encodeEvents`), else null. */
export function contiguousFrames(run: readonly EncodedEvent[]): Buffer | null {
  const first = run[0]!.frame;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < run.length; i++) {
    const frame = run[i]!.frame;
    if (frame.buffer !== first.buffer || frame.byteOffset !== end) return null;
    end += frame.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
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
