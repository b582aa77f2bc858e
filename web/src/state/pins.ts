import { api } from '../api.js';
import type { Message, PublicUser, RoomEvent } from '../types.js';
import { Store } from './store.js';

/** A pinned message as the client shows it: the message (as pinned, kept current by edits), who pinned it, when. */
export interface PinEntry {
  message: Message;
  by: PublicUser;
  at: string;
  /** The seq of the message.pinned event (orders the list; 0 for pins loaded from GET .../pins, newest first). */
  seq: number;
}

/**
 * Each room's pinned messages, newest pin first: loaded when the room opens (GET /api/rooms/:id/pins) and kept
 * current by message.pinned / message.unpinned, and by edits and deletes of pinned messages.
 */
export class Pins {
  readonly store = new Store<ReadonlyMap<string, readonly PinEntry[]>>(new Map());

  of(roomId: string): readonly PinEntry[] | undefined {
    return this.store.value.get(roomId);
  }

  has(roomId: string): boolean {
    return this.store.value.has(roomId);
  }

  private set(roomId: string, pins: readonly PinEntry[]): void {
    this.store.set(new Map(this.store.value).set(roomId, pins));
  }

  async load(roomId: string): Promise<void> {
    const { pins } = await api.get<{ pins: Array<{ message: Message; by: PublicUser; at: string }> }>(
      `/api/rooms/${roomId}/pins`,
    );
    this.set(
      roomId,
      pins.map((p) => ({ ...p, seq: 0 })),
    );
  }

  async pin(roomId: string, seq: number, on: boolean): Promise<void> {
    if (on) await api.put(`/api/rooms/${roomId}/pins/${seq}`);
    else await api.del(`/api/rooms/${roomId}/pins/${seq}`);
  }

  /** A stored event of a room whose pins are loaded. */
  applyEvent(e: RoomEvent): void {
    const pins = this.of(e.roomId);
    if (!pins) return;
    const seq = e.payload.seq as number | undefined;
    switch (e.type) {
      case 'message.pinned': {
        if (pins.some((p) => p.message.seq === seq) || !e.actor) return;
        const entry = { message: e.payload.message as Message, by: e.actor, at: e.at, seq: e.seq };
        return this.set(e.roomId, [entry, ...pins]);
      }
      case 'message.unpinned':
      case 'message.deleted':
        if (pins.some((p) => p.message.seq === seq)) {
          this.set(
            e.roomId,
            pins.filter((p) => p.message.seq !== seq),
          );
        }
        return;
      case 'message.edited': {
        const message = e.payload.message as Message;
        if (pins.some((p) => p.message.seq === message.seq)) {
          this.set(
            e.roomId,
            pins.map((p) => (p.message.seq === message.seq ? { ...p, message } : p)),
          );
        }
        return;
      }
    }
  }

  forget(roomId: string): void {
    if (!this.has(roomId)) return;
    const next = new Map(this.store.value);
    next.delete(roomId);
    this.store.set(next);
  }

  clear(): void {
    this.store.set(new Map());
  }
}
