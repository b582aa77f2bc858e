import { ROLE_RANK } from '../../../server/rooms/policy.js';
import { api } from '../api.js';
import type { Member, PresenceEntry, PresenceEvent, PublicUser, Role, RoomEvent } from '../types.js';
import { Store } from './store.js';

export interface MembersState {
  /** The members of each room loaded so far, with their online state. */
  byRoom: ReadonlyMap<string, readonly Member[]>;
  /** Profiles changed while this page was open (member.updated), for people no longer in a members list. */
  profiles: ReadonlyMap<string, PublicUser>;
  /** How many members are online in each room, as last heard (a presence event or the members list). */
  counts: ReadonlyMap<string, number>;
  /** Rooms big enough that presence events carry only the people this client watches. */
  partial: ReadonlySet<string>;
  /** Where each loaded list goes on (the server's nextCursor), or null when it holds every member. */
  more: ReadonlyMap<string, string | null>;
}

interface MembersPageBody {
  members: Member[];
  nextCursor: string | null;
}

/** The server's order of a members list: by role (owner first), then by username. */
function byRoleThenName(a: Member, b: Member): number {
  const x = a.user.username.toLowerCase();
  const y = b.user.username.toLowerCase();
  return ROLE_RANK[b.role] - ROLE_RANK[a.role] || (x < y ? -1 : x > y ? 1 : 0);
}

/** Members a lookup of one person by name reads at most (the name can be part of others'). */
const MEMBER_LOOKUP_LIMIT = 50;

/** People one watch names at most (the server's limit). */
export const MAX_WATCHED = 200;

const empty = (): MembersState => ({
  byRoom: new Map(),
  profiles: new Map(),
  counts: new Map(),
  partial: new Set(),
  more: new Map(),
});

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
  readonly store = new Store<MembersState>(empty());
  /** What each room's watch list was last sent as (ids joined), so an unchanged list is not sent again. */
  private readonly watching = new Map<string, string[]>();
  /** What each room's list read under way heard meanwhile, to apply again after it (see `load`). */
  private readonly loading = new Map<string, Array<() => void>>();
  private readonly loadingMore = new Set<string>();
  /** Answers of `search`, by room and query. */
  private readonly found = new Map<string, readonly Member[]>();

  of(roomId: string): readonly Member[] | undefined {
    return this.store.value.byRoom.get(roomId);
  }

  has(roomId: string): boolean {
    return this.store.value.byRoom.has(roomId);
  }

  /** Whether the room's loaded list holds every member (not just its first pages). */
  complete(roomId: string): boolean {
    return this.store.value.more.get(roomId) === null;
  }

  /** Reads the room's list from its start: the first page (all of a room of up to 500). */
  async load(roomId: string): Promise<void> {
    // What is heard while the list is read (member events, presence) may be missing from it, or older in it: each is
    // applied again after, in order.
    const during: Array<() => void> = [];
    this.loading.set(roomId, during);
    try {
      const page = await api.get<MembersPageBody>(`/api/rooms/${roomId}/members`);
      this.set(roomId, page.members, page.nextCursor);
      // A partial list cannot count who is online; presence events say it.
      if (page.nextCursor === null) {
        const s = this.store.value;
        const counts = new Map(s.counts).set(roomId, page.members.filter((m) => m.online).length);
        this.store.set({ ...s, counts });
      }
    } catch {
      /* shown as an empty panel; the next event or poll tries again */
    } finally {
      if (this.loading.get(roomId) === during) this.loading.delete(roomId);
    }
    for (const again of during) again();
  }

  /** The next page of a partial list, added after what is shown. */
  async loadMore(roomId: string): Promise<void> {
    const cursor = this.store.value.more.get(roomId);
    if (!cursor || this.loadingMore.has(roomId)) return;
    this.loadingMore.add(roomId);
    try {
      const page = await api.get<MembersPageBody>(`/api/rooms/${roomId}/members?cursor=${encodeURIComponent(cursor)}`);
      const shown = this.of(roomId);
      if (!shown || this.store.value.more.get(roomId) !== cursor) return; // read again meanwhile
      const known = new Set(shown.map((m) => m.userId));
      this.set(roomId, [...shown, ...page.members.filter((m) => !known.has(m.userId))], page.nextCursor);
    } catch {
      /* the button stays: another click tries again */
    } finally {
      this.loadingMore.delete(roomId);
    }
  }

  /**
   * Members whose name contains `query`, asked of the server: a big room's list is read only in part, so the mention
   * picker finds the others this way. Answers are kept for the page's life (a few per room).
   */
  async search(roomId: string, query: string): Promise<readonly Member[]> {
    const key = `${roomId}\0${query}`;
    const hit = this.found.get(key);
    if (hit) return hit;
    const page = await api.get<MembersPageBody>(`/api/rooms/${roomId}/members?limit=8&q=${encodeURIComponent(query)}`);
    this.found.set(key, page.members);
    if (this.found.size > 100) this.found.delete(this.found.keys().next().value!);
    return page.members;
  }

  /** What `search` last answered for the query, if it did. */
  searched(roomId: string, query: string): readonly Member[] | undefined {
    return this.found.get(`${roomId}\0${query}`);
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

  /**
   * A member.joined, .left or .role event: a loaded list follows it as it is, instead of being fetched again. In a
   * room of thousands, fetching every member on each join (for every client with the room open) was megabytes per
   * client per join. A newcomer shows offline until the room's presence says otherwise (it follows the join).
   */
  applyEvent(e: RoomEvent): void {
    this.loading.get(e.roomId)?.push(() => this.applyEvent(e));
    for (const key of this.found.keys()) if (key.startsWith(`${e.roomId}\0`)) this.found.delete(key);
    const members = this.of(e.roomId);
    const user = e.payload.user as PublicUser | undefined;
    if (!members || !user) return;
    const current = members.find((m) => m.userId === user.id);
    let changed: Member | null;
    if (e.type === 'member.joined') {
      if (current) return; // already listed: the list was loaded after the join
      changed = {
        roomId: e.roomId,
        userId: user.id,
        user,
        role: e.payload.role as Role,
        joinedAt: e.at,
        deliveredSeq: e.seq,
        readSeq: e.seq,
        notify: 'mentions',
        muted: false,
        online: false,
      };
    } else if (e.type === 'member.role') {
      if (!current) {
        // Someone on a page not read yet: promoted, they may now sort among the rows shown.
        if (!this.complete(e.roomId)) void this.fetchMember(e.roomId, user);
        return;
      }
      changed = { ...current, role: e.payload.role as Role };
    } else if (e.type === 'member.left') {
      if (!current) return;
      changed = null;
    } else return;
    this.place(e.roomId, members, user.id, changed);
  }

  /** `members` with the entry of `userId` replaced by `changed` (null: gone), in order. */
  private place(roomId: string, members: readonly Member[], userId: string, changed: Member | null): void {
    const others = members.filter((m) => m.userId !== userId);
    let next = changed ? [...others, changed].sort(byRoleThenName) : others;
    // A partial list shows the members up to its last one: someone who sorts after it comes with a later page.
    const last = members[members.length - 1];
    if (changed && last && !this.complete(roomId) && byRoleThenName(changed, last) > 0)
      next = next.filter((m) => m !== changed);
    this.set(roomId, next);
  }

  /** Reads one member the partial list has not shown (by a name search) and places them as they are now. */
  private async fetchMember(roomId: string, user: PublicUser): Promise<void> {
    try {
      const page = await api.get<MembersPageBody>(
        `/api/rooms/${roomId}/members?limit=${MEMBER_LOOKUP_LIMIT}&q=${encodeURIComponent(user.username)}`,
      );
      const member = page.members.find((m) => m.userId === user.id);
      const members = this.of(roomId);
      if (!members || members.some((m) => m.userId === user.id)) return; // forgotten, or read meanwhile
      // Not among the matches (a name many others contain): read the list again instead.
      if (!member) return void (await this.load(roomId));
      this.place(roomId, members, user.id, member);
    } catch {
      /* the list stays as it was; a reload shows the change */
    }
  }

  /** How many are online in the room: the last count heard, else what the list shows. */
  onlineCount(roomId: string): number | undefined {
    const s = this.store.value;
    return s.counts.get(roomId) ?? s.byRoom.get(roomId)?.filter((m) => m.online).length;
  }

  /** A `presence` event: the count, and the listed people's states (a complete snapshot: everyone else offline). */
  applyPresence(e: PresenceEvent): void {
    const s = this.store.value;
    const partial = new Set(s.partial);
    if (e.complete) partial.delete(e.roomId);
    else partial.add(e.roomId);
    this.store.set({ ...s, partial });
    this.patch(e.roomId, e.online, e.changes, e.snapshot && e.complete);
  }

  /**
   * In a big room, the people this client shows: the server sends their changes and answers their state now. An
   * unchanged list is not sent again; `rewatch` sends every list again (the stream reconnected).
   */
  async watch(roomId: string, userIds: readonly string[]): Promise<void> {
    const list = [...userIds].slice(0, MAX_WATCHED).sort();
    if (this.watching.get(roomId)?.join() === list.join()) return;
    this.watching.set(roomId, list);
    try {
      const answer = await api.put<{ online: number; users: PresenceEntry[] }>(`/api/rooms/${roomId}/presence/watch`, {
        userIds: list,
      });
      this.patch(roomId, answer.online, answer.users, false);
    } catch {
      if (this.watching.get(roomId) === list) this.watching.delete(roomId); // the next change of rows tries again
    }
  }

  rewatch(): void {
    const lists = [...this.watching];
    this.watching.clear();
    for (const [roomId, list] of lists) void this.watch(roomId, list);
  }

  private patch(roomId: string, count: number, entries: readonly PresenceEntry[], replace: boolean): void {
    this.loading.get(roomId)?.push(() => this.patch(roomId, count, entries, replace));
    const s = this.store.value;
    const counts = new Map(s.counts).set(roomId, count);
    const members = s.byRoom.get(roomId);
    if (!members) return this.store.set({ ...s, counts });
    const states = new Map(entries.map((c) => [c.userId, c.online]));
    const next = members.map((m) => {
      const online = states.get(m.userId) ?? (replace ? false : m.online);
      return online === m.online ? m : { ...m, online };
    });
    this.store.set({ ...s, counts, byRoom: new Map(s.byRoom).set(roomId, next) });
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
    this.store.set({ ...s, byRoom, profiles: new Map(s.profiles).set(user.id, user) });
  }

  forget(roomId: string): void {
    this.watching.delete(roomId);
    const s = this.store.value;
    if (!s.byRoom.has(roomId)) return;
    const byRoom = new Map(s.byRoom);
    byRoom.delete(roomId);
    const more = new Map(s.more);
    more.delete(roomId);
    this.store.set({ ...s, byRoom, more });
  }

  clear(): void {
    this.watching.clear();
    this.store.set(empty());
  }

  private set(roomId: string, members: readonly Member[], more = this.store.value.more.get(roomId) ?? null): void {
    const s = this.store.value;
    this.store.set({ ...s, byRoom: new Map(s.byRoom).set(roomId, members), more: new Map(s.more).set(roomId, more) });
  }
}
