import { api, ApiError, errorText } from '../api.js';
import { mentionsMe } from '../mention-marks.js';
import type { Membership, Message, PublicUser, Role, Room, RoomEntry, RoomEvent } from '../types.js';
import { storage } from './storage.js';
import { Store } from './store.js';

export interface RoomsState {
  /** Every room GET /api/rooms lists: mine, and public ones to join. */
  rooms: ReadonlyMap<string, RoomEntry>;
  /** Whether the list has loaded once. */
  loaded: boolean;
  /** Unread messages per room (never the open one). */
  unread: ReadonlyMap<string, number>;
  /** Of those, the ones that mention me, per room (never the open one). */
  mentions: ReadonlyMap<string, number>;
  openRoomId: string | null;
}

function memo<R>(compute: (rooms: ReadonlyMap<string, RoomEntry>) => R): (rooms: ReadonlyMap<string, RoomEntry>) => R {
  const cache = new WeakMap<ReadonlyMap<string, RoomEntry>, R>();
  return (rooms) => {
    if (!cache.has(rooms)) cache.set(rooms, compute(rooms));
    return cache.get(rooms)!;
  };
}

// Derived lists are computed once per room map, so an unchanged map gives the same array (elements compare them).
const byName = (a: RoomEntry, b: RoomEntry) => a.name.localeCompare(b.name);
/** My group rooms (public and private), by name. */
export const groupRooms = memo((rooms) =>
  [...rooms.values()].filter((r) => r.joined && r.kind !== 'direct').sort(byName),
);
/** My direct conversations, named after the other person. */
export const directRooms = memo((rooms) =>
  [...rooms.values()].filter((r) => r.joined && r.kind === 'direct').sort(byName),
);
/** Public rooms I could join. */
export const publicRooms = memo((rooms) =>
  [...rooms.values()].filter((r) => !r.joined && r.kind === 'public').sort(byName),
);
const myRooms = memo((rooms) => [...rooms.values()].filter((r) => r.joined).sort(byName));

/** A muted room shows no unread count; its mentions still count. */
export const isMuted = (s: RoomsState, roomId: string): boolean => s.rooms.get(roomId)?.membership?.muted === true;

/** What the tab title and the app badge count: unread messages, and only mentions in muted rooms. */
export function totalUnread(s: RoomsState): number {
  let n = 0;
  for (const [roomId, count] of s.unread) {
    if (roomId !== s.openRoomId) n += isMuted(s, roomId) ? (s.mentions.get(roomId) ?? 0) : count;
  }
  return n;
}

export function roleIn(s: RoomsState, roomId: string): Role | null {
  return s.rooms.get(roomId)?.membership?.role ?? null;
}

/** A direct conversation is named after the other person. */
function named(r: RoomEntry): RoomEntry {
  return r.kind === 'direct' && r.peer ? { ...r, name: r.peer.displayName } : r;
}

/** The rooms list, unread counts and which room is open. */
export class Rooms {
  readonly store = new Store<RoomsState>({
    rooms: new Map(),
    loaded: false,
    unread: new Map(),
    mentions: new Map(),
    openRoomId: null,
  });
  /** Per room: live unread seqs that mention me. */
  private liveMentions = new Map<string, number[]>();
  /** Per room: the seq up to which the server's unread count already counted, and recent live unread seqs. */
  private countedUpTo = new Map<string, number>();
  private liveUnread = new Map<string, number[]>();

  constructor(private readonly toast: (text: string, kind: 'info' | 'error') => void) {}

  get value(): RoomsState {
    return this.store.value;
  }

  get(roomId: string): RoomEntry | undefined {
    return this.store.value.rooms.get(roomId);
  }

  /** Loads the list; answers whether it did. */
  async load(): Promise<boolean> {
    try {
      const { rooms } = await api.get<{ rooms: RoomEntry[] }>('/api/rooms');
      const s = this.store.value;
      // The server counts unread messages up to each room's lastSeq; live messages past that point (seen while the
      // list was loading) count on top.
      const unread = new Map(s.unread);
      const mentions = new Map(s.mentions);
      for (const r of rooms) {
        this.countedUpTo.set(r.id, r.lastSeq);
        if (r.id === s.openRoomId) continue;
        const later = (this.liveUnread.get(r.id) ?? []).filter((seq) => seq > r.lastSeq).length;
        if (r.unread + later > 0) unread.set(r.id, r.unread + later);
        else unread.delete(r.id);
        const laterMentions = (this.liveMentions.get(r.id) ?? []).filter((seq) => seq > r.lastSeq).length;
        const m = (r.unreadMentions ?? 0) + laterMentions;
        if (m > 0) mentions.set(r.id, m);
        else mentions.delete(r.id);
      }
      const byId = new Map(rooms.map((r) => [r.id, named(r)]));
      this.store.set({ ...s, rooms: byId, loaded: true, unread, mentions });
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        this.toast(`Could not load rooms: ${errorText(err)}`, 'error');
      return false;
    }
  }

  /** Marks the room open (its unread count goes) and remembers it for next time. */
  open(roomId: string | null): void {
    const s = this.store.value;
    if (s.openRoomId === roomId) return;
    let { unread, mentions } = s;
    if (roomId) {
      unread = new Map(unread);
      (unread as Map<string, number>).delete(roomId);
      mentions = new Map(mentions);
      (mentions as Map<string, number>).delete(roomId);
      this.liveUnread.delete(roomId);
      this.liveMentions.delete(roomId);
      storage.rememberRoom(roomId);
    }
    this.store.set({ ...s, openRoomId: roomId, unread, mentions });
  }

  /** The room to show when the address names none: the last one opened, else the first of mine. */
  defaultRoomId(): string | null {
    const rooms = this.store.value.rooms;
    const last = storage.lastRoom();
    if (last && rooms.get(last)?.joined) return last;
    return myRooms(rooms)[0]?.id ?? null;
  }

  /** A new message by someone else: counted unread unless its room is open or the server's count has it. */
  countMessage(e: RoomEvent, meId: string | null = null): void {
    const s = this.store.value;
    if (e.roomId === s.openRoomId || e.seq <= (this.countedUpTo.get(e.roomId) ?? 0)) return;
    const seen = this.liveUnread.get(e.roomId) ?? [];
    seen.push(e.seq);
    this.liveUnread.set(e.roomId, seen.slice(-500));
    let mentions = s.mentions;
    if (mentionsMe(e.payload.message as Message, meId)) {
      const marked = this.liveMentions.get(e.roomId) ?? [];
      marked.push(e.seq);
      this.liveMentions.set(e.roomId, marked.slice(-500));
      mentions = new Map(mentions).set(e.roomId, (mentions.get(e.roomId) ?? 0) + 1);
    }
    this.store.set({ ...s, unread: new Map(s.unread).set(e.roomId, (s.unread.get(e.roomId) ?? 0) + 1), mentions });
  }

  /** My notification settings for a room, as the server now has them. */
  applyMembership(roomId: string, membership: Membership): void {
    const entry = this.get(roomId);
    if (entry?.membership) this.put({ ...entry, membership: { ...entry.membership, ...membership } });
  }

  /** Replaces (or adds) a room's entry. */
  put(entry: RoomEntry): void {
    const s = this.store.value;
    this.store.set({ ...s, rooms: new Map(s.rooms).set(entry.id, entry) });
  }

  patch(roomId: string, patch: Partial<Room>): void {
    const entry = this.get(roomId);
    if (entry) this.put({ ...entry, ...patch });
  }

  /** A room that is gone for me (left, removed, deleted): no unread count, not the room to reopen. */
  forget(roomId: string, opts: { remove?: boolean } = {}): void {
    const s = this.store.value;
    const unread = new Map(s.unread);
    unread.delete(roomId);
    const mentions = new Map(s.mentions);
    mentions.delete(roomId);
    const rooms = opts.remove ? new Map(s.rooms) : s.rooms;
    if (opts.remove) (rooms as Map<string, RoomEntry>).delete(roomId);
    storage.forgetRoom(roomId);
    this.store.set({ ...s, rooms, unread, mentions });
  }

  /** Someone's new profile: a direct room with them takes their new name. */
  applyProfile(user: PublicUser): void {
    for (const room of this.store.value.rooms.values()) {
      if (room.kind === 'direct' && room.peer?.id === user.id)
        this.put({ ...room, peer: user, name: user.displayName });
    }
  }

  /** A room.updated event: its new name (never for a direct room, named after the person) and topic. */
  applyUpdate(roomId: string, payload: { name?: string; topic?: string }): void {
    const current = this.get(roomId);
    if (current)
      this.put({
        ...current,
        name: current.kind === 'direct' ? current.name : (payload.name ?? current.name),
        topic: payload.topic ?? current.topic,
      });
  }

  clear(): void {
    this.countedUpTo.clear();
    this.liveUnread.clear();
    this.liveMentions.clear();
    this.store.set({ rooms: new Map(), loaded: false, unread: new Map(), mentions: new Map(), openRoomId: null });
  }
}
