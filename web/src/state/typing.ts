import { api } from '../api.js';
import type { PublicUser, TypingNotice } from '../types.js';
import { Store } from './store.js';

export interface Typist {
  user: PublicUser;
  /** Until when (ms since the epoch) the notice holds. */
  until: number;
}

/** Who is typing where, other than me: room -> people with their notice's end. */
export type TypingState = ReadonlyMap<string, readonly Typist[]>;

/** The people of a room's typing notices that still hold at `now`. */
export function typingNow(typists: readonly Typist[] | undefined, now = Date.now()): PublicUser[] {
  return (typists ?? []).filter((t) => t.until > now).map((t) => t.user);
}

/** Typing notices: the ones others send, and mine (at most every 2.5 s while I type). */
export class Typing {
  readonly store = new Store<TypingState>(new Map());
  private sentAt = 0;

  apply(n: TypingNotice): void {
    const ms = Math.min(Math.max(n.expiresInMs || 5000, 1000), 15_000);
    const until = Date.now() + ms;
    this.put(n.roomId, (list) => [...list.filter((t) => t.user.id !== n.user.id), { user: n.user, until }]);
    setTimeout(() => this.put(n.roomId, (list) => list.filter((t) => t.until > Date.now())), ms + 50);
  }

  /** Their message arrived: they are no longer typing it. */
  stopped(roomId: string, userId: string): void {
    this.put(roomId, (list) => list.filter((t) => t.user.id !== userId));
  }

  /** Tells the room I am typing, at most every 2.5 s. */
  notify(roomId: string): void {
    if (Date.now() - this.sentAt < 2500) return;
    this.sentAt = Date.now();
    api.post(`/api/rooms/${roomId}/typing`, undefined).catch(() => undefined);
  }

  clear(): void {
    this.store.set(new Map());
  }

  private put(roomId: string, change: (list: readonly Typist[]) => readonly Typist[]): void {
    const s = this.store.value;
    const before = s.get(roomId) ?? [];
    const after = change(before);
    if (after.length === before.length && after.every((t, i) => t === before[i])) return;
    const next = new Map(s);
    if (after.length) next.set(roomId, after);
    else next.delete(roomId);
    this.store.set(next);
  }
}
