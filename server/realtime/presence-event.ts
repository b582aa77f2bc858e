/** The `presence` event's shape (docs/events.md): types only, so the web client shares them. */

/** One person's state in a `presence` event. */
export interface PresenceEntry {
  userId: string;
  online: boolean;
}

/**
 * An ephemeral `presence` event (no id, not stored): one per room per window. `online` is the room's count;
 * `complete: false` (a big room) means `changes` holds only the people this stream's user watches; `snapshot`
 * replaces rather than patches (complete: everyone online is listed; else the watched people's states).
 */
export interface PresenceEvent {
  roomId: string;
  /** Members online in the room now. */
  online: number;
  changes: PresenceEntry[];
  complete: boolean;
  snapshot: boolean;
}
