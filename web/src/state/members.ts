import { api } from '../api.js';
import type { Member, PresenceChange, PublicUser, Role } from '../types.js';
import { Store } from './store.js';

export interface MembersState {
  /** The members of each room loaded so far, with their online state. */
  byRoom: ReadonlyMap<string, readonly Member[]>;
  /** Profiles changed while this page was open (member.updated), for people no longer in a members list. */
  profiles: ReadonlyMap<string, PublicUser>;
}

/** How a person is called now: their newest profile seen on this page, else as `user` says. */
export function currentProfile<U extends PublicUser | null | undefined>(
  s: MembersState,
  roomId: string,
  user: U,
): U | PublicUser {
  if (!user) return user;
  return s.profiles.get(user.id) ?? s.byRoom.get(roomId)?.find((m) => m.userId === user.id)?.user ?? user;
}

/** Who is in each room, online or not. */
export class Members {
  readonly store = new Store<MembersState>({ byRoom: new Map(), profiles: new Map() });

  of(roomId: string): readonly Member[] | undefined {
    return this.store.value.byRoom.get(roomId);
  }

  has(roomId: string): boolean {
    return this.store.value.byRoom.has(roomId);
  }

  async load(roomId: string): Promise<void> {
    try {
      const { members } = await api.get<{ members: Member[] }>(`/api/rooms/${roomId}/members`);
      this.set(roomId, members);
    } catch {
      /* shown as an empty panel; the next event or poll tries again */
    }
  }

  async add(roomId: string, username: string): Promise<void> {
    await api.post(`/api/rooms/${roomId}/members`, { username });
    await this.load(roomId);
  }

  async remove(roomId: string, userId: string): Promise<void> {
    await api.del(`/api/rooms/${roomId}/members/${userId}`);
    await this.load(roomId);
  }

  async setRole(roomId: string, userId: string, role: Role): Promise<void> {
    await api.patch(`/api/rooms/${roomId}/members/${userId}`, { role });
    await this.load(roomId);
  }

  applyPresence(p: PresenceChange): void {
    const members = this.of(p.roomId);
    if (!members) return;
    this.set(
      p.roomId,
      members.map((m) => (m.userId === p.user.id ? { ...m, online: p.online } : m)),
    );
  }

  /** Someone's new public profile: every list they are in shows it. */
  applyProfile(user: PublicUser): void {
    const s = this.store.value;
    const byRoom = new Map(s.byRoom);
    for (const [roomId, members] of s.byRoom) {
      if (!members.some((m) => m.userId === user.id)) continue;
      byRoom.set(
        roomId,
        members.map((m) => (m.userId === user.id ? { ...m, user } : m)),
      );
    }
    this.store.set({ byRoom, profiles: new Map(s.profiles).set(user.id, user) });
  }

  forget(roomId: string): void {
    const s = this.store.value;
    if (!s.byRoom.has(roomId)) return;
    const byRoom = new Map(s.byRoom);
    byRoom.delete(roomId);
    this.store.set({ ...s, byRoom });
  }

  clear(): void {
    this.store.set({ byRoom: new Map(), profiles: new Map() });
  }

  private set(roomId: string, members: readonly Member[]): void {
    const s = this.store.value;
    this.store.set({ ...s, byRoom: new Map(s.byRoom).set(roomId, members) });
  }
}
