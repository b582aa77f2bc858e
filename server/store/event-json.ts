import type { RoomEvent } from './store.js';

/** Where an event read from the store carries its JSON: a symbol key, so JSON.stringify and spreads never see it. */
const STORED_JSON = Symbol('storedJson');

type WithJson = RoomEvent & { [STORED_JSON]?: string };

/**
 * The JSON of events a store read already holds as text (SQLite keeps each event's actor and payload as JSON), so a
 * replay writes it as it is instead of parsing the row and serialising the event again: on a resume of thousands of
 * events that round trip was a third of the time. It lives exactly as long as the event object.
 */
export function withEventJson(event: RoomEvent, json: string): RoomEvent {
  (event as WithJson)[STORED_JSON] = json;
  return event;
}

/** The event as JSON: the stored text when the store gave it, else serialised now. */
export function eventJson(event: RoomEvent): string {
  return (event as WithJson)[STORED_JSON] ?? JSON.stringify(event);
}
