import { api, ApiError, errorText } from './api.js';
import { EventStream, type ConnectionStatus, type ResetNotice } from './stream.js';
import type { Attachment, Member, Message, PresenceChange, PublicUser, ReceiptMarks, Role, Room, RoomEntry, RoomEvent, TypingNotice, User } from './types.js';

/** One line of a room's timeline, ordered by seq. */
export type TimelineItem =
  | { kind: 'message'; seq: number; message: Message }
  | { kind: 'activity'; seq: number; at: string; event: RoomEvent };

/** A message the user sent that the server has not confirmed yet (or refused). */
export interface PendingMessage {
  localId: string;
  /** Sent with every attempt: a retry after a lost answer cannot post the message twice, and its stream copy is
   * recognised by it. */
  clientId: string;
  roomId: string;
  text: string;
  /** Uploaded images to attach, with a local (blob:) preview of each. */
  attachments: PendingAttachment[];
  createdAt: string;
  status: 'pending' | 'failed';
  error?: string;
}

export interface PendingAttachment {
  upload: Attachment;
  preview: string | null;
}

export interface Timeline {
  items: Map<number, TimelineItem>;
  pending: PendingMessage[];
  /** Seqs of our own messages whose POST has answered (their stream copy must not consume another pending one). */
  confirmed: Set<number>;
  /** The highest seq seen from any source. */
  headSeq: number;
  loaded: boolean;
  loading: boolean;
  loadingOlder: boolean;
  /** Whether history older than the oldest loaded message exists. */
  hasMore: boolean;
  error: string | null;
}

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

const PAGE = 50;
const LAST_ROOM_KEY = 'parley.lastRoom';

function emptyTimeline(): Timeline {
  return { items: new Map(), pending: [], confirmed: new Set(), headSeq: 0, loaded: false, loading: false, loadingOlder: false, hasMore: true, error: null };
}

function who(user: PublicUser | null | undefined): string {
  return user ? user.displayName || user.username : 'Someone';
}

/** The activity line a stored event shows in the timeline, or null for events that show none (messages, profiles). */
export function activityText(e: RoomEvent, current: (user: PublicUser | null | undefined) => PublicUser | null | undefined = (u) => u): string | null {
  const payloadUser = current(e.payload.user as PublicUser | undefined);
  const actor = current(e.actor);
  switch (e.type) {
    case 'member.joined':
      return actor && payloadUser && actor.id !== payloadUser.id ? `${who(actor)} added ${who(payloadUser)}` : `${who(payloadUser)} joined`;
    case 'member.left':
      return e.payload.reason === 'removed' ? `${who(actor)} removed ${who(payloadUser)}` : `${who(payloadUser)} left`;
    case 'member.role':
      return `${who(payloadUser)} is now ${String(e.payload.role)}`;
    case 'room.updated': {
      const { name, topic } = e.payload as { name?: string; topic?: string };
      const changed = (e.payload.changed as string[] | undefined) ?? [];
      const parts: string[] = [];
      if (changed.includes('name')) parts.push(`renamed the room to “${name ?? ''}”`);
      if (changed.includes('topic')) parts.push(topic ? `set the topic to “${topic}”` : 'cleared the topic');
      return `${who(actor)} ${parts.join(' and ') || 'updated the room'}`;
    }
    default:
      return null;
  }
}

/** A random key for a post (getRandomValues works on plain-HTTP origins too, unlike randomUUID). */
function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The stream copy of a message we are sending. By its client key, whatever the pending copy's state: a post whose
 * answer was lost (shown as not sent) was stored after all. Without keys (an older server), same text and images.
 */
function samePost(p: PendingMessage, m: Message): boolean {
  if (m.clientId) return m.clientId === p.clientId;
  if (p.status !== 'pending') return false;
  const ids = m.attachments.map((a) => (typeof a === 'string' ? a : a.id));
  return (p.text || null) === (m.text || null) && ids.join() === p.attachments.map((a) => a.upload.id).join();
}

function releasePreviews(p: PendingMessage): void {
  for (const a of p.attachments) if (a.preview) URL.revokeObjectURL(a.preview);
}

/**
 * The client's state: who is signed in, their rooms, the timelines loaded so far, members, unread counts and the
 * connection. Components read it and re-render on its `change` event; all changes go through its methods.
 */
export class ChatState extends EventTarget {
  me: User | null = null;
  /** null until the first check of the session. */
  authChecked = false;
  rooms = new Map<string, RoomEntry>();
  roomsLoaded = false;
  timelines = new Map<string, Timeline>();
  members = new Map<string, Member[]>();
  unread = new Map<string, number>();
  openRoomId: string | null = null;
  /** Who is typing where (servers with typing notices): room -> user id -> until (ms). */
  typing = new Map<string, Map<string, { user: PublicUser; until: number }>>();
  /** Room delivery/read watermarks (servers with receipts). */
  receipts = new Map<string, { deliveredSeq: number; readSeq: number }>();
  private typingSentAt = 0;
  /** Per room: the seq up to which the server's unread count already counted, and recent live unread seqs. */
  private countedUpTo = new Map<string, number>();
  private liveUnread = new Map<string, number[]>();
  private typingUnsupported = false;
  private logUnsupported = false;
  /** Profiles changed while this page was open (member.updated), for people no longer in a members list. */
  private profiles = new Map<string, PublicUser>();
  connection: ConnectionStatus = 'connecting';
  toasts: Toast[] = [];
  private nextLocalId = 1;
  private nextToastId = 1;
  private membersTimer: ReturnType<typeof setInterval> | undefined;
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  private readSent = new Map<string, number>();
  private readUnsupported = false;
  readonly stream: EventStream;

  constructor() {
    super();
    this.stream = new EventStream({
      event: (e) => this.applyEvent(e),
      reset: (n) => void this.onReset(n),
      open: (resumed) => void this.onStreamOpen(resumed),
      status: (s) => {
        this.connection = s;
        this.changed();
      },
      sessionLost: () => this.signedOut(),
      presence: (p) => this.applyPresence(p),
      typing: (n) => this.applyTyping(n),
      receipt: (r) => {
        this.receipts.set(r.roomId, { deliveredSeq: r.deliveredSeq, readSeq: r.readSeq });
        this.changed();
      },
    });
  }

  changed(): void {
    this.dispatchEvent(new Event('change'));
    if (this.openRoomId && this.timelines.get(this.openRoomId)?.loaded) {
      const tl = this.timelines.get(this.openRoomId)!;
      if (tl.headSeq > (this.readSent.get(this.openRoomId) ?? 0)) this.markReadSoon();
    }
  }

  toast(text: string, kind: Toast['kind'] = 'info'): void {
    const toast = { id: this.nextToastId++, text, kind };
    this.toasts = [...this.toasts, toast].slice(-4);
    this.changed();
    setTimeout(() => this.dismissToast(toast.id), kind === 'error' ? 7000 : 4000);
  }

  dismissToast(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
    this.changed();
  }

  // ---- session ----------------------------------------------------------------------------------------------

  async checkSession(): Promise<void> {
    try {
      const { user } = await api.get<{ user: User }>('/api/me');
      this.me = user;
    } catch {
      this.me = null;
    }
    this.authChecked = true;
    this.changed();
    if (this.me) await this.startChat();
  }

  async login(login: string, password: string): Promise<void> {
    const { user } = await api.post<{ user: User }>('/api/auth/login', { login, password });
    this.me = user;
    this.authChecked = true;
    this.changed();
    await this.startChat();
  }

  async logout(): Promise<void> {
    try {
      await api.post('/api/auth/logout', undefined, { retry: false });
    } catch {
      /* the cookies may already be gone; sign out locally anyway */
    }
    // Other tabs of this browser follow (they listen for this key).
    localStorage.setItem('parley.signedOut', String(Date.now()));
    this.signedOut();
  }

  /** Forget everything about the session (logout, or the server ended it). */
  signedOut(): void {
    this.stream.stop();
    clearInterval(this.membersTimer);
    this.me = null;
    this.rooms.clear();
    this.roomsLoaded = false;
    this.timelines.clear();
    this.members.clear();
    this.unread.clear();
    this.openRoomId = null;
    this.readSent.clear();
    this.typing.clear();
    this.receipts.clear();
    this.profiles.clear();
    this.countedUpTo.clear();
    this.liveUnread.clear();
    this.connection = 'connecting';
    this.changed();
    this.dispatchEvent(new Event('signedout'));
  }

  async updateProfile(patch: Partial<Pick<User, 'displayName' | 'gender' | 'avatar'>> & { currentPassword?: string; newPassword?: string }): Promise<void> {
    const { user } = await api.patch<{ user: User }>('/api/me', patch);
    this.me = user;
    this.applyProfile(user);
    this.changed();
  }

  /** Someone's new public profile (member.updated, or my own PATCH): members, message authors and direct room names. */
  private applyProfile(user: PublicUser): void {
    const pub: PublicUser = { id: user.id, username: user.username, displayName: user.displayName, gender: user.gender, avatar: user.avatar };
    if (this.me?.id === user.id) this.me = { ...this.me, ...pub };
    this.profiles.set(user.id, pub);
    for (const [roomId, members] of this.members) {
      if (members.some((m) => m.userId === user.id)) this.members.set(roomId, members.map((m) => (m.userId === user.id ? { ...m, user: pub } : m)));
    }
    for (const tl of this.timelines.values()) {
      for (const item of tl.items.values()) {
        if (item.kind === 'message' && item.message.author.id === user.id) item.message = { ...item.message, author: pub };
      }
    }
    for (const [id, room] of this.rooms) {
      if (room.kind === 'direct' && room.peer?.id === user.id) this.rooms.set(id, { ...room, peer: pub, name: pub.displayName });
    }
  }

  private readonly onVisible = () => {
    // Public rooms created elsewhere have no event: refresh the list when the tab comes back into view.
    if (document.visibilityState === 'visible' && this.me) {
      void this.loadRooms();
      this.markReadSoon();
    }
  };

  /** Tells the server how far the open room has been seen (servers with read receipts), a moment after it moves. */
  markReadSoon(): void {
    if (this.readUnsupported) return;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      const roomId = this.openRoomId;
      const tl = roomId ? this.timelines.get(roomId) : undefined;
      if (!roomId || !tl?.loaded || document.visibilityState !== 'visible') return;
      const seq = tl.headSeq;
      if (seq <= (this.readSent.get(roomId) ?? 0)) return;
      this.readSent.set(roomId, seq);
      api.post(`/api/rooms/${roomId}/read`, { seq }).catch((err) => {
        if (err instanceof ApiError && err.code === 'NOT_FOUND') this.readUnsupported = true;
        else this.readSent.delete(roomId);
      });
    }, 400);
  }

  private async startChat(): Promise<void> {
    document.removeEventListener('visibilitychange', this.onVisible);
    document.addEventListener('visibilitychange', this.onVisible);
    this.stream.start();
    await this.loadRooms();
    // Online dots have no live events yet: refresh the open room's members now and then.
    clearInterval(this.membersTimer);
    this.membersTimer = setInterval(() => {
      if (this.openRoomId && document.visibilityState === 'visible') void this.loadMembers(this.openRoomId);
    }, 30_000);
  }

  // ---- rooms ------------------------------------------------------------------------------------------------

  get myRooms(): RoomEntry[] {
    return [...this.rooms.values()].filter((r) => r.joined).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** My group rooms (public and private), by name. */
  get groupRooms(): RoomEntry[] {
    return this.myRooms.filter((r) => r.kind !== 'direct');
  }

  /** My direct conversations, named after the other person. */
  get directRooms(): RoomEntry[] {
    return this.myRooms.filter((r) => r.kind === 'direct');
  }

  /** Opens (creating it the first time) the direct conversation with a user; answers its room id. */
  async openDirect(username: string): Promise<string> {
    const { room, peer } = await api.post<{ room: Room; peer: PublicUser }>('/api/dms', { username });
    if (!this.rooms.get(room.id)?.joined) {
      await this.loadRooms();
      // Until the list has it (it should by now): a minimal entry so the room opens at once.
      if (!this.rooms.has(room.id)) this.rooms.set(room.id, { ...room, name: peer.displayName, peer, joined: true, membership: null });
    }
    this.changed();
    return room.id;
  }

  get publicRooms(): RoomEntry[] {
    return [...this.rooms.values()].filter((r) => !r.joined && r.kind === 'public').sort((a, b) => a.name.localeCompare(b.name));
  }

  get totalUnread(): number {
    let n = 0;
    for (const [roomId, count] of this.unread) if (roomId !== this.openRoomId) n += count;
    return n;
  }

  roleIn(roomId: string): Role | null {
    return this.rooms.get(roomId)?.membership?.role ?? null;
  }

  async loadRooms(): Promise<void> {
    try {
      const { rooms } = await api.get<{ rooms: RoomEntry[] }>('/api/rooms');
      // A direct conversation is named after the other person.
      this.rooms = new Map(rooms.map((r) => [r.id, r.kind === 'direct' && r.peer ? { ...r, name: r.peer.displayName } : r]));
      // Servers that count unread messages know better than a client that just loaded. Their count covers the room
      // up to its lastSeq; live messages past that point (seen while the list was loading) count on top.
      for (const r of rooms) {
        if (typeof r.unread !== 'number') continue;
        this.countedUpTo.set(r.id, r.lastSeq);
        if (r.id === this.openRoomId) continue;
        const later = (this.liveUnread.get(r.id) ?? []).filter((seq) => seq > r.lastSeq).length;
        if (r.unread + later > 0) this.unread.set(r.id, r.unread + later);
        else this.unread.delete(r.id);
      }
      this.roomsLoaded = true;
      this.loadOpenRoom();
      this.changed();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) this.toast(`Could not load rooms: ${errorText(err)}`, 'error');
    }
  }

  /** The room to show when the address names none: the last one opened, else the first of mine. */
  defaultRoomId(): string | null {
    const last = localStorage.getItem(LAST_ROOM_KEY);
    if (last && this.rooms.get(last)?.joined) return last;
    return this.myRooms[0]?.id ?? null;
  }

  openRoom(roomId: string | null): void {
    if (this.openRoomId === roomId) return;
    this.openRoomId = roomId;
    if (roomId) {
      this.unread.delete(roomId);
      this.liveUnread.delete(roomId);
      localStorage.setItem(LAST_ROOM_KEY, roomId);
      this.loadOpenRoom();
    }
    this.changed();
  }

  /** Loads the open room's history and members once the room list says it is one of mine. */
  private loadOpenRoom(): void {
    const roomId = this.openRoomId;
    if (!roomId || !this.rooms.get(roomId)?.joined) return;
    const tl = this.timeline(roomId);
    if (!tl.loaded && !tl.loading) void this.loadLatest(roomId);
    if (!this.members.has(roomId)) void this.loadMembers(roomId);
  }

  async createRoom(input: { name: string; topic: string; kind: 'public' | 'private' }): Promise<Room> {
    const { room } = await api.post<{ room: Room }>('/api/rooms', input);
    await this.loadRooms();
    return room;
  }

  async joinRoom(roomId: string): Promise<void> {
    await api.post(`/api/rooms/${roomId}/join`);
    this.timelines.delete(roomId);
    this.members.delete(roomId);
    await this.loadRooms();
  }

  async leaveRoom(roomId: string): Promise<void> {
    await api.post(`/api/rooms/${roomId}/leave`);
    this.forgetRoom(roomId);
    await this.loadRooms();
  }

  async updateRoom(roomId: string, patch: { name?: string; topic?: string }): Promise<void> {
    const { room } = await api.patch<{ room: Room }>(`/api/rooms/${roomId}`, patch);
    const entry = this.rooms.get(roomId);
    if (entry) this.rooms.set(roomId, { ...entry, ...room });
    this.changed();
  }

  async deleteRoom(roomId: string): Promise<void> {
    await api.del(`/api/rooms/${roomId}`);
    this.forgetRoom(roomId);
    this.rooms.delete(roomId);
    this.changed();
  }

  private forgetRoom(roomId: string): void {
    this.timelines.delete(roomId);
    this.members.delete(roomId);
    this.unread.delete(roomId);
    if (localStorage.getItem(LAST_ROOM_KEY) === roomId) localStorage.removeItem(LAST_ROOM_KEY);
    this.dispatchEvent(new CustomEvent('roomgone', { detail: roomId }));
  }

  // ---- members ----------------------------------------------------------------------------------------------

  async loadMembers(roomId: string): Promise<void> {
    try {
      const { members } = await api.get<{ members: Member[] }>(`/api/rooms/${roomId}/members`);
      this.members.set(roomId, members);
      this.changed();
    } catch {
      /* shown as an empty panel; the next event or poll tries again */
    }
  }

  async addMember(roomId: string, username: string): Promise<void> {
    await api.post(`/api/rooms/${roomId}/members`, { username });
    await this.loadMembers(roomId);
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await api.del(`/api/rooms/${roomId}/members/${userId}`);
    await this.loadMembers(roomId);
  }

  async setRole(roomId: string, userId: string, role: Role): Promise<void> {
    await api.patch(`/api/rooms/${roomId}/members/${userId}`, { role });
    await Promise.all([this.loadMembers(roomId), this.loadRooms()]);
  }

  // ---- timelines --------------------------------------------------------------------------------------------

  timeline(roomId: string): Timeline {
    let tl = this.timelines.get(roomId);
    if (!tl) this.timelines.set(roomId, (tl = emptyTimeline()));
    return tl;
  }

  /** An activity line's text, naming people as they are called now (members and profiles seen since). */
  activityLine(roomId: string, event: RoomEvent): string {
    const members = this.members.get(roomId);
    const current = (u: PublicUser | null | undefined) =>
      u ? (this.profiles.get(u.id) ?? members?.find((m) => m.userId === u.id)?.user ?? u) : u;
    return activityText(event, current) ?? '';
  }

  /** Timeline items in seq order. */
  itemsOf(roomId: string): TimelineItem[] {
    const tl = this.timelines.get(roomId);
    if (!tl) return [];
    return [...tl.items.values()].sort((a, b) => a.seq - b.seq);
  }

  private putMessage(message: Message): void {
    const tl = this.timeline(message.roomId);
    tl.items.set(message.seq, { kind: 'message', seq: message.seq, message });
    if (message.seq > tl.headSeq) tl.headSeq = message.seq;
  }

  /** The newest page of a room (on open, and after a `reset`). */
  async loadLatest(roomId: string): Promise<void> {
    const tl = this.timeline(roomId);
    tl.loading = true;
    try {
      const { messages } = await api.get<{ messages: Message[] }>(`/api/rooms/${roomId}/messages?limit=${PAGE}`);
      for (const m of messages) this.putMessage(m);
      tl.loaded = true;
      tl.hasMore = messages.length === PAGE;
      tl.error = null;
      const oldest = messages.length ? Math.min(...messages.map((m) => m.seq)) : 0;
      await this.loadActivity(roomId, undefined, tl.hasMore ? oldest : 1);
      // The stream may have started after this page was read: fetch whatever fell between the two.
      if (this.stream.status === 'live') void this.catchUp(roomId).catch(() => undefined);
    } catch (err) {
      tl.error = errorText(err);
    } finally {
      tl.loading = false;
    }
    this.changed();
  }

  /** The page before the oldest loaded message (scrolling up). */
  async loadOlder(roomId: string): Promise<void> {
    const tl = this.timeline(roomId);
    if (tl.loadingOlder || !tl.hasMore || !tl.loaded) return;
    const seqs = [...tl.items.values()].filter((i) => i.kind === 'message').map((i) => i.seq);
    if (seqs.length === 0) {
      tl.hasMore = false;
      return;
    }
    tl.loadingOlder = true;
    this.changed();
    try {
      const before = Math.min(...seqs);
      const { messages } = await api.get<{ messages: Message[] }>(`/api/rooms/${roomId}/messages?before=${before}&limit=${PAGE}`);
      for (const m of messages) this.putMessage(m);
      tl.hasMore = messages.length === PAGE;
      const oldest = messages.length ? Math.min(...messages.map((m) => m.seq)) : 1;
      await this.loadActivity(roomId, before, tl.hasMore ? oldest : 1);
    } catch (err) {
      this.toast(`Could not load older messages: ${errorText(err)}`, 'error');
    } finally {
      tl.loadingOlder = false;
      this.changed();
    }
  }

  /**
   * Activity lines (joins, leaves, roles, renames) from the room's stored log, for the seqs from `down to` up to
   * `before` (exclusive; undefined = the newest), so they survive a reload. Best effort: history shows without them.
   */
  private async loadActivity(roomId: string, before: number | undefined, downTo: number): Promise<void> {
    if (this.logUnsupported) return;
    let cursor = before;
    try {
      for (let page = 0; page < 5; page++) {
        const limit = cursor === undefined ? 200 : Math.min(500, Math.max(1, cursor - downTo));
        const q = cursor === undefined ? `limit=${limit}` : `before=${cursor}&limit=${limit}`;
        const { events } = await api.get<{ events: RoomEvent[] }>(`/api/rooms/${roomId}/log?${q}`);
        const tl = this.timelines.get(roomId);
        if (!tl) return;
        for (const e of events) {
          const text = activityText(e);
          // History pages carry current profiles, so old member.updated events need nothing here.
          if (text && !tl.items.has(e.seq)) tl.items.set(e.seq, { kind: 'activity', seq: e.seq, at: e.at, event: e });
        }
        const lowest = events.length ? events[events.length - 1]!.seq : 0;
        if (events.length < limit || lowest <= downTo || lowest <= 1) return;
        cursor = lowest;
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && err.code !== 'ROOM_NOT_FOUND') this.logUnsupported = true;
    }
  }

  /** Fetches what a loaded timeline may have missed (after a reconnect); the seq keys make it idempotent. */
  private async catchUp(roomId: string): Promise<void> {
    const tl = this.timelines.get(roomId);
    if (!tl?.loaded) return;
    for (let i = 0; i < 20; i++) {
      const { messages } = await api.get<{ messages: Message[] }>(`/api/rooms/${roomId}/messages?after=${tl.headSeq}&limit=100`);
      for (const m of messages) this.putMessage(m);
      this.changed();
      if (messages.length < 100) return;
    }
  }

  async send(roomId: string, text: string, retryOf?: PendingMessage, attachments: PendingAttachment[] = []): Promise<void> {
    const tl = this.timeline(roomId);
    const pending: PendingMessage = retryOf ?? {
      localId: `local-${this.nextLocalId++}`,
      clientId: newClientId(),
      roomId,
      text,
      attachments,
      createdAt: new Date().toISOString(),
      status: 'pending',
    };
    pending.status = 'pending';
    pending.error = undefined;
    if (!tl.pending.includes(pending)) tl.pending.push(pending);
    this.changed();
    try {
      const body: { text?: string; attachments?: string[]; clientId: string } = { clientId: pending.clientId };
      if (pending.text.trim()) body.text = pending.text;
      if (pending.attachments.length) body.attachments = pending.attachments.map((a) => a.upload.id);
      const { message } = await api.post<{ message: Message }>(`/api/rooms/${roomId}/messages`, body);
      if (tl.pending.includes(pending)) releasePreviews(pending);
      tl.pending = tl.pending.filter((p) => p !== pending);
      tl.confirmed.add(message.seq);
      this.putMessage(message);
    } catch (err) {
      pending.status = 'failed';
      pending.error = errorText(err);
    }
    this.changed();
  }

  discardPending(pending: PendingMessage): void {
    releasePreviews(pending);
    const tl = this.timelines.get(pending.roomId);
    if (tl) tl.pending = tl.pending.filter((p) => p !== pending);
    this.changed();
  }

  async editMessage(roomId: string, seq: number, text: string): Promise<void> {
    const { message } = await api.patch<{ message: Message }>(`/api/rooms/${roomId}/messages/${seq}`, { text });
    this.putMessage(message);
    this.changed();
  }

  async deleteMessage(roomId: string, seq: number): Promise<void> {
    await api.del(`/api/rooms/${roomId}/messages/${seq}`);
    const item = this.timelines.get(roomId)?.items.get(seq);
    if (item?.kind === 'message' && !item.message.deletedAt) {
      item.message = { ...item.message, text: null, deletedAt: new Date().toISOString() };
    }
    this.changed();
  }

  // ---- the stream -------------------------------------------------------------------------------------------

  private async onStreamOpen(resumed: boolean): Promise<void> {
    // Rooms joined or created elsewhere while away, and whatever a timeline loaded before the stream may lack.
    if (resumed) await this.loadRooms();
    await Promise.all([...this.timelines.keys()].map((id) => this.catchUp(id).catch(() => undefined)));
    if (this.openRoomId) void this.loadMembers(this.openRoomId);
  }

  private async onReset(notice: ResetNotice): Promise<void> {
    // The server cannot replay what we missed in this room: start its timeline over.
    const tl = this.timelines.get(notice.roomId);
    if (!tl) return;
    const pending = tl.pending;
    this.timelines.set(notice.roomId, { ...emptyTimeline(), pending });
    if (this.openRoomId === notice.roomId || tl.loaded) await this.loadLatest(notice.roomId);
  }

  applyTyping(n: TypingNotice): void {
    if (n.user.id === this.me?.id) return;
    let room = this.typing.get(n.roomId);
    if (!room) this.typing.set(n.roomId, (room = new Map()));
    const ms = Math.min(Math.max(n.expiresInMs || 5000, 1000), 15_000);
    room.set(n.user.id, { user: n.user, until: Date.now() + ms });
    setTimeout(() => this.changed(), ms + 50);
    this.changed();
  }

  /** People typing in a room now, other than me. */
  typingIn(roomId: string): PublicUser[] {
    const now = Date.now();
    return [...(this.typing.get(roomId)?.values() ?? [])].filter((t) => t.until > now).map((t) => t.user);
  }

  /** Tells the room I am typing, at most every 2.5 s while I type (servers with typing notices). */
  notifyTyping(roomId: string): void {
    if (this.typingUnsupported || Date.now() - this.typingSentAt < 2500) return;
    this.typingSentAt = Date.now();
    api.post(`/api/rooms/${roomId}/typing`, undefined).catch((err) => {
      if (err instanceof ApiError && err.code === 'NOT_FOUND') this.typingUnsupported = true;
    });
  }

  applyPresence(p: PresenceChange): void {
    const members = this.members.get(p.roomId);
    if (!members) return;
    this.members.set(
      p.roomId,
      members.map((m) => (m.userId === p.user.id ? { ...m, online: p.online } : m)),
    );
    this.changed();
  }

  applyEvent(e: RoomEvent): void {
    const mine = this.me?.id;
    const tl = this.timelines.get(e.roomId);
    if (tl && e.seq > tl.headSeq) tl.headSeq = e.seq;
    const room = this.rooms.get(e.roomId);
    if (room && e.seq > room.lastSeq) this.rooms.set(e.roomId, { ...room, lastSeq: e.seq });
    const payloadUser = e.payload.user as PublicUser | undefined;
    const text = activityText(e);
    if (text && tl) tl.items.set(e.seq, { kind: 'activity', seq: e.seq, at: e.at, event: e });

    switch (e.type) {
      case 'message.created': {
        // A message's seq is its creation event's, by definition.
        const message = { ...(e.payload.message as Message), seq: e.seq, roomId: e.roomId };
        if (tl) {
          this.putMessage(message);
          // Our own message may arrive before the POST answers: it replaces its pending copy.
          if (message.author.id === mine && !tl.confirmed.has(message.seq)) {
            const i = tl.pending.findIndex((p) => samePost(p, message));
            if (i >= 0) {
              releasePreviews(tl.pending[i]!);
              tl.pending.splice(i, 1);
              tl.confirmed.add(message.seq);
            }
          }
        }
        this.typing.get(e.roomId)?.delete(message.author.id);
        if (message.author.id !== mine && e.roomId !== this.openRoomId && e.seq > (this.countedUpTo.get(e.roomId) ?? 0)) {
          this.unread.set(e.roomId, (this.unread.get(e.roomId) ?? 0) + 1);
          const seen = this.liveUnread.get(e.roomId) ?? [];
          seen.push(e.seq);
          this.liveUnread.set(e.roomId, seen.slice(-500));
        }
        break;
      }
      case 'message.edited':
      case 'message.deleted': {
        const message = e.payload.message as Message | undefined;
        if (message && tl?.items.has(message.seq)) this.putMessage(message);
        break;
      }
      case 'member.joined': {
        if (payloadUser?.id === mine) void this.loadRooms();
        if (this.members.has(e.roomId)) void this.loadMembers(e.roomId);
        break;
      }
      case 'member.left': {
        const removed = e.payload.reason === 'removed';
        if (payloadUser?.id === mine) {
          if (removed) this.toast(`You were removed from ${room?.name ?? 'a room'}`);
          this.forgetRoom(e.roomId);
          void this.loadRooms();
        } else if (this.members.has(e.roomId)) void this.loadMembers(e.roomId);
        break;
      }
      case 'member.role': {
        if (payloadUser?.id === mine) void this.loadRooms();
        if (this.members.has(e.roomId)) void this.loadMembers(e.roomId);
        break;
      }
      case 'room.updated': {
        const { name, topic } = e.payload as { name?: string; topic?: string };
        const current = this.rooms.get(e.roomId);
        if (current) this.rooms.set(e.roomId, { ...current, name: current.kind === 'direct' ? current.name : name ?? current.name, topic: topic ?? current.topic });
        break;
      }
      case 'member.updated': {
        if (payloadUser) this.applyProfile(payloadUser);
        break;
      }
      case 'room.deleted': {
        if (e.actor?.id !== mine) this.toast(`${room?.name ?? 'A room'} was deleted`);
        this.forgetRoom(e.roomId);
        this.rooms.delete(e.roomId);
        break;
      }
    }
    this.changed();
  }
}

export const state = new ChatState();
