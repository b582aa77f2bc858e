import type { RoomEvent } from './store.js';

/** Where an event read from the store carries its JSON: a symbol key, so JSON.stringify and spreads never see it. */
const STORED_JSON = Symbol('storedJson');

/** An event's JSON as a store read holds it: `prefix` (ASCII) followed by the UTF-8 `bytes`. */
export interface StoredJson {
  readonly prefix: string;
  readonly bytes: Buffer;
}

type WithJson = RoomEvent & { [STORED_JSON]?: StoredJson };

/**
 * The JSON of events a store read already holds as bytes (SQLite keeps each event's actor and payload as JSON, and
 * the event's other fields are a short prefix), so a replay copies it into its frames instead of serialising the
 * event again: on a resume of thousands of events that round trip was most of the time. It lives exactly as long as
 * the event object.
 */
export function withEventJson<E extends RoomEvent>(event: E, json: StoredJson): E {
  (event as WithJson)[STORED_JSON] = json;
  return event;
}

/** The stored JSON, or undefined for an event built in memory. */
export function storedEventJson(event: RoomEvent): StoredJson | undefined {
  return (event as WithJson)[STORED_JSON];
}

/** The event as JSON: the stored text when the store gave it, else serialised now. */
export function eventJson(event: RoomEvent): string {
  const stored = (event as WithJson)[STORED_JSON];
  return stored ? stored.prefix + stored.bytes.toString() : JSON.stringify(event);
}
