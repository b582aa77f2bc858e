import type { PresenceChange, PublicUser } from '../store/store.js';

/**
 * Who is online in which room, on this instance: a user is here in a room while at least one of their streams
 * follows it (a room stream, or the multi-room stream). Several tabs count once. Going offline waits `graceMs`, so
 * a reconnect blip (a dropped stream that resumes within the grace) changes nothing. The hub reports each change to
 * the store's presence board, which combines every instance's word.
 */
export class Presence {
  private readonly streams = new Map<string, Map<string, { user: PublicUser; count: number }>>();
  private readonly leaving = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly graceMs: number,
    private readonly announce: (change: PresenceChange) => void,
  ) {}

  enter(roomId: string, user: PublicUser): void {
    let room = this.streams.get(roomId);
    if (!room) this.streams.set(roomId, (room = new Map()));
    const entry = room.get(user.id);
    if (entry) {
      entry.count++;
      return;
    }
    room.set(user.id, { user, count: 1 });
    const key = `${roomId}\0${user.id}`;
    const pending = this.leaving.get(key);
    if (pending) {
      // Back within the grace period: they never went offline.
      clearTimeout(pending);
      this.leaving.delete(key);
      return;
    }
    this.announce({ roomId, user, online: true });
  }

  /** Whether a stream of the user follows the room here. */
  has(roomId: string, userId: string): boolean {
    return this.streams.get(roomId)?.has(userId) === true;
  }

  /** One stream fewer; true when it was the user's last one in the room here. */
  exit(roomId: string, userId: string): boolean {
    const room = this.streams.get(roomId);
    const entry = room?.get(userId);
    if (!room || !entry) return false;
    if (--entry.count > 0) return false;
    room.delete(userId);
    if (room.size === 0) this.streams.delete(roomId);
    const key = `${roomId}\0${userId}`;
    const timer = setTimeout(() => {
      this.leaving.delete(key);
      if (!this.streams.get(roomId)?.has(userId)) this.announce({ roomId, user: entry.user, online: false });
    }, this.graceMs);
    timer.unref();
    this.leaving.set(key, timer);
    return true;
  }

  stop(): void {
    for (const timer of this.leaving.values()) clearTimeout(timer);
    this.leaving.clear();
  }
}
