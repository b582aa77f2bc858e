import { api } from '../api.js';
import { EventStream, type ConnectionStatus, type ResetNotice } from '../stream.js';
import type { Membership, Message, NotifyLevel, PublicUser, Room, RoomEvent, User } from '../types.js';
import { activityRunText, activityText } from './activity.js';
import { DesktopNotifier } from './desktop-notifier.js';
import { currentProfile, Members } from './members.js';
import { Notices } from './notices.js';
import { Outbox } from './outbox.js';
import { Pins } from './pins.js';
import { Receipts } from './receipts.js';
import { Rooms } from './rooms.js';
import { Session, type ProfilePatch } from './session.js';
import { Store } from './store.js';
import { applyProfile as applyProfileTo } from './timeline.js';
import { Threads } from './threads.js';
import { Timelines } from './timelines.js';
import { Typing } from './typing.js';

/**
 * The client: one store per concern (session, rooms, each room's timeline, members and presence, typing, receipts,
 * notices, the connection), the event stream that feeds them, and the actions that span several of them (signing
 * in and out, opening, joining and leaving rooms). Elements get it from the app (see context.ts), watch the parts
 * they show, and call its actions. It also dispatches `signedout` and `roomgone` (detail: the room id).
 */
export class ChatClient extends EventTarget {
  readonly notices = new Notices();
  readonly session = new Session();
  readonly connection = new Store<ConnectionStatus>('connecting');
  readonly rooms = new Rooms((text, kind) => this.notices.toast(text, kind));
  readonly members = new Members();
  readonly typing = new Typing();
  readonly receipts = new Receipts();
  readonly pins = new Pins();
  readonly notifier = new DesktopNotifier();
  readonly timelines: Timelines;
  readonly outbox: Outbox;
  readonly threads = new Threads();
  readonly stream: EventStream;
  private membersTimer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.stream = new EventStream({
      event: (e) => this.applyEvent(e),
      reset: (n) => void this.onReset(n),
      open: (resumed) => void this.onStreamOpen(resumed),
      status: (s) => this.connection.set(s),
      sessionLost: () => this.signedOut(),
      presence: (p) => this.members.applyPresence(p),
      typing: (n) => {
        if (n.user.id !== this.session.me?.id) this.typing.apply(n);
      },
      receipt: (r) => this.receipts.apply(r),
      membership: (n) => this.rooms.applyMembership(n.roomId, n.membership),
    });
    this.timelines = new Timelines(
      (text, kind) => this.notices.toast(text, kind),
      () => this.stream.status === 'live',
    );
    this.outbox = new Outbox(this.timelines, (message) => this.threads.put(message));
    // The open room moved on (or finished loading): tell the server it has been seen.
    this.timelines.onChange((roomId, tl) => {
      const open = roomId === this.rooms.value.openRoomId;
      if (open && tl.loaded && this.receipts.behind(roomId, tl.headSeq)) this.markReadSoon();
    });
  }

  // ---- session ----------------------------------------------------------------------------------------------

  async checkSession(): Promise<void> {
    if (await this.session.check()) await this.startChat();
  }

  async login(login: string, password: string): Promise<void> {
    await this.session.login(login, password);
    await this.startChat();
  }

  async logout(): Promise<void> {
    await this.session.logout();
    this.signedOut();
  }

  /** Forget everything about the session (logout, or the server ended it). */
  signedOut(): void {
    this.stream.stop();
    clearInterval(this.membersTimer);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.session.clear();
    this.rooms.clear();
    this.timelines.clear();
    this.members.clear();
    this.typing.clear();
    this.receipts.clear();
    this.pins.clear();
    this.connection.set('connecting');
    this.dispatchEvent(new Event('signedout'));
  }

  async updateProfile(patch: ProfilePatch): Promise<void> {
    const user = await this.session.updateProfile(patch);
    this.applyProfile(user);
  }

  private async startChat(): Promise<void> {
    document.removeEventListener('visibilitychange', this.onVisible);
    document.addEventListener('visibilitychange', this.onVisible);
    this.stream.start();
    await this.loadRooms();
    // Online dots have no live events for members who were never online here: refresh the open room's now and then.
    // Not a big room's (read a page at a time): the panel watches the rows it shows instead.
    clearInterval(this.membersTimer);
    this.membersTimer = setInterval(() => {
      const open = this.rooms.value.openRoomId;
      // A list whose read failed, or one read whole; a partial one is left as the reader paged it.
      const refresh = open !== null && (!this.members.has(open) || this.members.complete(open));
      if (open && document.visibilityState === 'visible' && refresh) void this.members.load(open);
    }, 30_000);
  }

  private readonly onVisible = () => {
    // Public rooms created elsewhere have no event: refresh the list when the tab comes back into view.
    if (document.visibilityState === 'visible' && this.session.me) {
      void this.loadRooms();
      this.markReadSoon();
    }
  };

  private markReadSoon(): void {
    this.receipts.markReadSoon(() => {
      const roomId = this.rooms.value.openRoomId;
      const tl = roomId ? this.timelines.peek(roomId) : undefined;
      return roomId && tl?.loaded ? { roomId, headSeq: tl.headSeq } : null;
    });
  }

  // ---- rooms ------------------------------------------------------------------------------------------------

  async loadRooms(): Promise<void> {
    if (await this.rooms.load()) this.loadOpenRoom();
  }

  openRoom(roomId: string | null): void {
    if (this.rooms.value.openRoomId === roomId) return;
    this.rooms.open(roomId);
    if (roomId) {
      this.loadOpenRoom();
      this.markReadSoon();
    }
  }

  /** Loads the open room's history and members once the room list says it is one of mine. */
  private loadOpenRoom(): void {
    const roomId = this.rooms.value.openRoomId;
    if (!roomId || !this.rooms.get(roomId)?.joined) return;
    const tl = this.timelines.of(roomId).value;
    if (!tl.loaded && !tl.loading) void this.timelines.loadLatest(roomId);
    if (!this.members.has(roomId)) void this.members.load(roomId);
    if (!this.pins.has(roomId)) void this.pins.load(roomId).catch(() => undefined);
  }

  /** Opens (creating it the first time) the direct conversation with a user; answers its room id. */
  async openDirect(username: string): Promise<string> {
    const { room, peer } = await api.post<{ room: Room; peer: PublicUser }>('/api/dms', { username });
    if (!this.rooms.get(room.id)?.joined) {
      await this.loadRooms();
      // Until the list has it (it should by now): a minimal entry so the room opens at once.
      if (!this.rooms.get(room.id)) {
        this.rooms.put({
          ...room,
          name: peer.displayName,
          peer,
          joined: true,
          membership: null,
          unread: 0,
          unreadMentions: 0,
        });
      }
    }
    return room.id;
  }

  async createRoom(input: { name: string; topic: string; kind: 'public' | 'private' }): Promise<Room> {
    const { room } = await api.post<{ room: Room }>('/api/rooms', input);
    await this.loadRooms();
    return room;
  }

  async joinRoom(roomId: string): Promise<void> {
    await api.post(`/api/rooms/${roomId}/join`);
    this.timelines.forget(roomId);
    this.members.forget(roomId);
    await this.loadRooms();
  }

  async leaveRoom(roomId: string): Promise<void> {
    await api.post(`/api/rooms/${roomId}/leave`);
    this.forgetRoom(roomId);
    await this.loadRooms();
  }

  async updateRoom(roomId: string, patch: { name?: string; topic?: string }): Promise<void> {
    const { room } = await api.patch<{ room: Room }>(`/api/rooms/${roomId}`, patch);
    this.rooms.patch(roomId, room);
  }

  async deleteRoom(roomId: string): Promise<void> {
    await api.del(`/api/rooms/${roomId}`);
    this.forgetRoom(roomId, true);
  }

  /** My notification level and mute for a room (my other tabs hear of it on their streams). */
  async setNotify(roomId: string, patch: { notify?: NotifyLevel; muted?: boolean }): Promise<void> {
    const { membership } = await api.patch<{ membership: Membership }>(`/api/rooms/${roomId}/membership`, patch);
    this.rooms.applyMembership(roomId, membership);
  }

  async setRole(roomId: string, userId: string, role: Parameters<Members['setRole']>[2]): Promise<void> {
    await Promise.all([this.members.setRole(roomId, userId, role), this.loadRooms()]);
  }

  private forgetRoom(roomId: string, remove = false): void {
    this.timelines.forget(roomId);
    this.threads.close(roomId);
    this.members.forget(roomId);
    this.pins.forget(roomId);
    this.rooms.forget(roomId, { remove });
    this.dispatchEvent(new CustomEvent('roomgone', { detail: roomId }));
  }

  /** An activity line's text, naming people as they are called now (members and profiles seen since). */
  activityLine(roomId: string, event: RoomEvent): string {
    const s = this.members.store.value;
    return activityText(event, (u) => currentProfile(s, roomId, u)) ?? '';
  }

  /** The one line of a run of joins or leaves (see activityRunText), naming people as they are called now. */
  activityRunLine(roomId: string, events: readonly RoomEvent[]): string {
    const s = this.members.store.value;
    return activityRunText(events, (u) => currentProfile(s, roomId, u));
  }

  // ---- the stream -------------------------------------------------------------------------------------------

  private async onStreamOpen(resumed: boolean): Promise<void> {
    // Rooms joined or created elsewhere while away, and whatever a timeline loaded before the stream may lack.
    if (resumed) await this.loadRooms();
    await Promise.all(this.timelines.rooms().map((id) => this.timelines.catchUp(id).catch(() => undefined)));
    void this.threads.catchUp();
    // A resumed stream replays the member events missed meanwhile (and presence sends a snapshot); a new one may have
    // missed some.
    const open = this.rooms.value.openRoomId;
    if (open && !resumed) void this.members.load(open);
    // The server forgets watch lists with the streams that held them.
    this.members.rewatch();
  }

  private async onReset(notice: ResetNotice): Promise<void> {
    // The server cannot replay what we missed in this room: read its members again and start its timeline over.
    if (this.members.has(notice.roomId)) void this.members.load(notice.roomId);
    if (this.timelines.peek(notice.roomId) === undefined) return;
    const wasLoaded = this.timelines.restart(notice.roomId);
    if (this.rooms.value.openRoomId === notice.roomId || wasLoaded) await this.timelines.loadLatest(notice.roomId);
  }

  /** Someone's new public profile (member.updated, or my own PATCH): members, authors and direct room names. */
  private applyProfile(user: PublicUser): void {
    const { id, username, displayName, gender, avatar } = user;
    const pub: PublicUser = { id, username, displayName, gender, avatar };
    const me = this.session.me;
    if (me?.id === pub.id) this.session.setMe({ ...me, ...pub } as User);
    this.members.applyProfile(pub);
    for (const roomId of this.timelines.rooms()) this.timelines.update(roomId, (tl) => applyProfileTo(tl, pub));
    this.rooms.applyProfile(pub);
  }

  /** A stored event from the stream: its timeline (a pure reducer) and whatever else it changes. */
  applyEvent(e: RoomEvent): void {
    const mine = this.session.me?.id ?? null;
    const room = this.rooms.get(e.roomId);
    const payloadUser = e.payload.user as PublicUser | undefined;
    this.timelines.applyEvent(e, mine);
    this.threads.applyEvent(e);
    this.pins.applyEvent(e);

    switch (e.type) {
      case 'message.created': {
        const author = (e.payload.message as Message).author;
        this.typing.stopped(e.roomId, author.id);
        if (author.id !== mine) {
          this.rooms.countMessage(e, mine);
          const message = e.payload.message as Message;
          void this.notifier.consider(message, room, mine, this.rooms.value.openRoomId);
        }
        break;
      }
      case 'member.joined': {
        if (payloadUser?.id === mine) void this.loadRooms();
        this.members.applyEvent(e);
        break;
      }
      case 'member.left': {
        if (payloadUser?.id === mine) {
          if (e.payload.reason === 'removed') this.notices.toast(`You were removed from ${room?.name ?? 'a room'}`);
          this.forgetRoom(e.roomId);
          void this.loadRooms();
        } else this.members.applyEvent(e);
        break;
      }
      case 'member.role': {
        if (payloadUser?.id === mine) void this.loadRooms();
        this.members.applyEvent(e);
        break;
      }
      case 'room.updated':
        this.rooms.applyUpdate(e.roomId, e.payload as { name?: string; topic?: string });
        break;
      case 'member.updated':
        if (payloadUser) this.applyProfile(payloadUser);
        break;
      case 'room.deleted': {
        if (e.actor?.id !== mine) this.notices.toast(`${room?.name ?? 'A room'} was deleted`);
        this.forgetRoom(e.roomId, true);
        break;
      }
    }
  }
}
