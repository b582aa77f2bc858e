import type { PresenceBoard, PresenceChange, PublicUser } from '../store.js';
import { Listeners } from './listeners.js';

/** The presence board of a single-process store: this process is every instance there is, so its word is the state. */
export class MemoryPresenceBoard implements PresenceBoard {
  private readonly rooms = new Map<string, Set<string>>();
  private readonly listeners: Listeners<PresenceChange>;

  constructor(onListenerError?: (err: unknown) => void) {
    this.listeners = new Listeners(onListenerError);
  }

  async set(roomId: string, user: PublicUser, here: boolean): Promise<void> {
    let room = this.rooms.get(roomId);
    if (here === (room?.has(user.id) === true)) return;
    if (here) {
      if (!room) this.rooms.set(roomId, (room = new Set()));
      room.add(user.id);
    } else {
      room!.delete(user.id);
      if (room!.size === 0) this.rooms.delete(roomId);
    }
    this.listeners.emit({ roomId, user, online: here });
  }

  async online(roomId: string): Promise<Set<string>> {
    return new Set(this.rooms.get(roomId));
  }

  onChange(listener: (change: PresenceChange) => void): () => void {
    return this.listeners.add(listener);
  }
}
