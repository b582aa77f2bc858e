import type { RoomEvent } from './store.js';

/**
 * The JSON of events a store read already holds as text (SQLite keeps each event's actor and payload as JSON), so a
 * replay writes it as it is instead of parsing the row and serialising the event again: on a resume of thousands of
 * events that round trip was a third of the time. Weakly held: it lives exactly as long as the event object.
 */
const known = new WeakMap<RoomEvent, string>();

export function rememberEventJson(event: RoomEvent, json: string): void {
  known.set(event, json);
}

/** The event as JSON: the stored text when the store gave it, else serialised now. */
export function eventJson(event: RoomEvent): string {
  return known.get(event) ?? JSON.stringify(event);
}
