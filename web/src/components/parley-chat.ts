import { consume } from '@lit/context';
import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { allows, mayLeave } from '../../../server/rooms/policy.js';
import { errorText } from '../api.js';
import { avatarSvg } from '../avatars.js';
import { MediaQuery } from '../controllers/media-query.js';
import { navigate } from '../router.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { totalUnread } from '../state/rooms.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import './parley-connection.js';
import './parley-members.js';
import './parley-rooms.js';
import './parley-room-view.js';
import './parley-search.js';
import { requestConfirm, type ConfirmRequest, type LightboxRequest } from '../overlays.js';
import './parley-confirm.js';
import './parley-create-room.js';
import './parley-lightbox.js';
import './parley-profile.js';
import './parley-pins.js';
import './parley-room-settings.js';
import './parley-notify-menu.js';
import './parley-toasts.js';

const NARROW = '(max-width: 719px)';
const MEDIUM = '(max-width: 1099px)';

/** The signed-in layout: rooms on the left, the open room in the middle, members on the right; drawers on phones. */
@customElement('parley-chat')
export class ParleyChat extends LitElement {
  @property() roomId: string | null = null;
  /** The message a link points at (`/rooms/<roomId>/<seq>`): the timeline scrolls to it. */
  @property({ attribute: false }) focusSeq: number | null = null;
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @internal() private roomsOpen = false;
  @internal() private membersOpen = !matchMedia(MEDIUM).matches;
  @query('parley-create-room') private createDialog!: HTMLElementTagNameMap['parley-create-room'];
  @query('parley-room-settings') private settingsDialog!: HTMLElementTagNameMap['parley-room-settings'];
  @query('parley-profile') private profileDialog!: HTMLElementTagNameMap['parley-profile'];
  @query('parley-confirm') private confirmDialog!: HTMLElementTagNameMap['parley-confirm'];
  @query('parley-lightbox') private lightbox!: HTMLElementTagNameMap['parley-lightbox'];
  private readonly narrowQuery = new MediaQuery(this, NARROW, (narrow) => {
    if (!narrow) this.roomsOpen = false;
  });
  private readonly mediumQuery = new MediaQuery(this, MEDIUM, (medium) => {
    this.membersOpen = !medium;
  });
  private readonly rooms = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => ({
      room: this.roomId ? s.rooms.get(this.roomId) : undefined,
      loaded: s.loaded,
      unread: totalUnread(s),
    }),
  );
  private readonly memberCount = new Watch(
    this,
    () => this.client?.members.store,
    (s) => {
      const n = this.roomId ? s.byRoom.get(this.roomId)?.length : undefined;
      // A big room's list is read a page at a time: "500+" until every page is.
      return n === undefined || !this.roomId ? undefined : `${n}${s.more.get(this.roomId) ? '+' : ''}`;
    },
  );
  /** An open thread takes the right-hand side on wide screens: the members panel makes room for it. */
  private readonly threadOpen = new Watch(
    this,
    () => this.client?.threads.store,
    (v) => v !== null && v.roomId === this.roomId,
  );
  private hadThread = false;
  private readonly pinCount = new Watch(
    this,
    () => this.client?.pins.store,
    (s) => (this.roomId ? s.get(this.roomId)?.length : undefined),
  );
  private readonly myName = new Watch(
    this,
    () => this.client?.session.store,
    (s) => s.me?.displayName,
  );

  private get narrow(): boolean {
    return this.narrowQuery.matches;
  }

  private get medium(): boolean {
    return this.mediumQuery.matches;
  }
  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    if (this.narrow && this.roomsOpen) this.closeRooms();
    else if (this.medium && this.membersOpen) this.closeMembers();
  };

  static override styles = [
    base,
    css`
      :host { display: grid; height: 100%; grid-template-columns: 280px minmax(0, 1fr) auto; background: var(--bg); }
      aside.rooms { background: #0f1b33; color: #e2e8f0; min-height: 0; display: flex; flex-direction: column; }
      aside.members { width: 260px; background: var(--surface); border-left: 1px solid var(--border); min-height: 0; display: flex; flex-direction: column; }
      aside.members[data-closed] { display: none; }
      main { display: flex; flex-direction: column; min-width: 0; min-height: 0; background: var(--surface); }
      header {
        display: flex; align-items: center; gap: 0.5rem; padding: 0.5rem 0.75rem; min-height: 60px;
        border-bottom: 1px solid var(--border); background: var(--surface);
      }
      .title { flex: 1; min-width: 0; }
      .title h1 { font-size: 1.05rem; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; display: flex; align-items: center; gap: 0.3rem; }
      .title h1 svg { width: 18px; height: 18px; color: var(--muted); flex: none; }
      .title h1 svg.avatar { width: 24px; height: 24px; }
      .title p { margin: 0; color: var(--muted); font-size: 0.85rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      .menu-btn { display: none; }
      .members-btn .count { position: absolute; top: -2px; right: -4px; font-size: 0.7rem; min-width: 1.1rem; height: 1.1rem; }
      .menu-btn .badge { position: absolute; top: -2px; right: -4px; font-size: 0.7rem; min-width: 1.1rem; height: 1.1rem; }
      .empty { flex: 1; display: grid; place-items: center; text-align: center; padding: 2rem; color: var(--muted); }
      .empty h2 { color: var(--text); margin: 0 0 0.5rem; }
      .scrim { display: none; }
      .join-bar { padding: 1rem; border-top: 1px solid var(--border); display: flex; gap: 1rem; align-items: center; justify-content: center; flex-wrap: wrap; }
      @media ${unsafeCSS(MEDIUM)} {
        :host { grid-template-columns: 260px minmax(0, 1fr); }
        aside.members {
          position: fixed; top: 0; right: 0; bottom: 0; width: min(300px, 85vw); z-index: 20; box-shadow: var(--shadow);
          transform: translateX(0); transition: transform 0.2s ease, visibility 0.2s;
        }
        aside.members[data-closed] { display: flex; transform: translateX(100%); visibility: hidden; }
        .scrim.show { display: block; position: fixed; inset: 0; background: rgba(15, 23, 42, 0.4); z-index: 15; border: none; padding: 0; }
      }
      @media ${unsafeCSS(NARROW)} {
        :host { grid-template-columns: minmax(0, 1fr); }
        .menu-btn { display: inline-grid; }
        aside.rooms {
          position: fixed; top: 0; left: 0; bottom: 0; width: min(320px, 86vw); z-index: 20; box-shadow: var(--shadow);
          transition: transform 0.2s ease, visibility 0.2s;
        }
        aside.rooms[data-closed] { transform: translateX(-100%); visibility: hidden; }
        header { padding: 0.4rem 0.5rem; gap: 0.25rem; }
      }
      @media (prefers-reduced-motion: reduce) { aside { transition: none !important; } }
    `,
  ];

  /** Confirmations and images asked for by any element inside the shell (see overlays.ts). */
  private readonly onConfirmRequest = (e: CustomEvent<ConfirmRequest>) => {
    e.preventDefault();
    e.detail.answer(this.confirmDialog.ask(e.detail));
  };
  private readonly onLightboxRequest = (e: CustomEvent<LightboxRequest>) => {
    e.preventDefault();
    void this.lightbox.show(e.detail.image, e.detail.opener);
  };

  constructor() {
    super();
    this.addEventListener('confirm-request', this.onConfirmRequest);
    this.addEventListener('lightbox-request', this.onLightboxRequest);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onKey);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    const thread = this.threadOpen.value;
    if (thread && !this.hadThread && !this.medium) this.membersOpen = false;
    this.hadThread = thread;
    if (changed.has('roomId')) {
      this.client.openRoom(this.roomId);
      if (this.narrow) this.roomsOpen = false;
    }
  }

  private openRooms(): void {
    this.roomsOpen = true;
    void this.updateComplete.then(() => this.renderRoot.querySelector('parley-rooms')?.focusFirst());
  }

  private closeRooms(): void {
    this.roomsOpen = false;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('.menu-btn')?.focus());
  }

  private toggleMembers(): void {
    this.membersOpen = !this.membersOpen;
    if (this.membersOpen && this.medium)
      void this.updateComplete.then(() => this.renderRoot.querySelector('parley-members')?.focusFirst());
  }

  private closeMembers(): void {
    this.membersOpen = false;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('.members-btn')?.focus());
  }

  private async leave(): Promise<void> {
    const room = this.rooms.value.room;
    if (!room) return;
    const ok = await requestConfirm(this, {
      title: `Leave ${room.name}?`,
      body: room.kind === 'private' ? 'You will need an invitation to come back.' : 'You can join again at any time.',
      confirm: 'Leave room',
    });
    if (!ok) return;
    try {
      await this.client.leaveRoom(room.id);
      navigate('/', { replace: true });
    } catch (err) {
      this.client.notices.toast(errorText(err), 'error');
    }
  }

  private async join(): Promise<void> {
    if (!this.roomId) return;
    try {
      await this.client.joinRoom(this.roomId);
    } catch (err) {
      this.client.notices.toast(errorText(err), 'error');
    }
  }

  override render() {
    const { room, loaded, unread } = this.rooms.value;
    const members = room ? this.memberCount.value : undefined;
    const pinCount = room ? this.pinCount.value : undefined;
    const roomsHidden = this.narrow && !this.roomsOpen;
    const membersHidden = !room?.joined || !this.membersOpen;
    const membersDrawer = this.medium;
    return html`
      <aside class="rooms" id="rooms-drawer" aria-label="Rooms" ?data-closed=${roomsHidden} ?inert=${roomsHidden}>
        <parley-rooms .activeId=${this.roomId}
          @create-room=${() => this.createDialog.open()}
          @edit-profile=${() => this.profileDialog.open()}
          @close-drawer=${() => this.closeRooms()}
          .showClose=${this.narrow}></parley-rooms>
      </aside>
      <main id="chat" aria-label="Conversation">
        <header>
          <button class="icon-btn menu-btn" aria-label=${`Rooms${unread ? ` (${unread} unread)` : ''}`} aria-controls="rooms-drawer"
            aria-expanded=${this.roomsOpen ? 'true' : 'false'} @click=${() => this.openRooms()}>
            ${icon('menu')}${unread ? html`<span class="badge" aria-hidden="true">${unread > 99 ? '99+' : unread}</span>` : nothing}
          </button>
          <div class="title">
            ${
              room
                ? room.kind === 'direct'
                  ? html`<h1 data-testid="room-title">${room.peer ? avatarSvg(room.peer, 24) : icon('users')}<span>${room.name}</span></h1>
                    <p>${room.peer ? `Direct messages with @${room.peer.username}` : 'Direct messages'}</p>`
                  : html`<h1 data-testid="room-title">${icon(room.kind === 'private' ? 'lock' : 'hash')}<span>${room.name}</span></h1>
                    ${room.topic ? html`<p title=${room.topic}>${room.topic}</p>` : nothing}`
                : html`<h1>Parley</h1>`
            }
          </div>
          <parley-search></parley-search>
          <parley-connection></parley-connection>
          ${
            room?.joined
              ? html`
                <parley-notify-menu .roomId=${room.id}></parley-notify-menu>
                ${
                  allows(room, room.membership, 'update')
                    ? html`<button class="icon-btn" aria-label="Room settings" title="Room settings" @click=${() => this.settingsDialog.open(room.id)}>${icon('settings')}</button>`
                    : nothing
                }
                ${
                  mayLeave(room, room.membership)
                    ? html`<button class="icon-btn" aria-label="Leave room" title="Leave room" @click=${() => this.leave()}>${icon('exit')}</button>`
                    : nothing
                }
                <button class="icon-btn members-btn" aria-label=${`Pinned messages${pinCount ? ` (${pinCount})` : ''}`} title="Pinned messages"
                  data-testid="pins-button" @click=${() => this.renderRoot.querySelector('parley-pins')?.open(room.id)}>
                  ${icon('pin')}${pinCount ? html`<span class="badge count" aria-hidden="true">${pinCount}</span>` : nothing}
                </button>
                <button class="icon-btn members-btn" aria-label=${`Members${members !== undefined ? ` (${members})` : ''}`} title="Members"
                  aria-controls="members-drawer" aria-expanded=${this.membersOpen ? 'true' : 'false'} @click=${() => this.toggleMembers()}>
                  ${icon('users')}${members !== undefined ? html`<span class="badge count" aria-hidden="true">${members}</span>` : nothing}
                </button>
              `
              : nothing
          }
        </header>
        ${
          room?.joined
            ? html`<parley-room-view .roomId=${room.id} .focusSeq=${this.focusSeq}></parley-room-view>`
            : room
              ? html`<div class="empty"><div><h2>${room.name}</h2><p>${room.topic || 'A public room.'}</p>
                <button class="btn primary" @click=${() => this.join()}>Join ${room.name}</button></div></div>`
              : this.roomId && loaded
                ? html`<div class="empty"><div><h2>Room not found</h2><p>It may have been deleted, or you are not a member.</p></div></div>`
                : loaded
                  ? html`<div class="empty"><div><h2>Welcome, ${this.myName.value}</h2>
                    <p>Create a room or join a public one to start talking.</p>
                    <button class="btn primary" @click=${() => this.createDialog.open()}>${icon('plus')} Create a room</button></div></div>`
                  : html`<div class="empty" role="status">Loading rooms…</div>`
        }
      </main>
      ${
        room?.joined
          ? html`<aside class="members" id="members-drawer" aria-label="Members" ?data-closed=${membersHidden} ?inert=${membersHidden}>
            <parley-members .roomId=${room.id} .showClose=${membersDrawer} @close-drawer=${() => this.closeMembers()}></parley-members>
          </aside>`
          : nothing
      }
      <div class="scrim ${(this.narrow && this.roomsOpen) || (membersDrawer && this.membersOpen && room?.joined) ? 'show' : ''}" aria-hidden="true"
        @click=${() => {
          if (this.roomsOpen) this.closeRooms();
          if (this.medium && this.membersOpen) this.closeMembers();
        }}></div>
      <parley-create-room @created=${(e: CustomEvent<string>) => navigate(`/rooms/${e.detail}`)}></parley-create-room>
      <parley-room-settings></parley-room-settings>
      <parley-pins @jump=${(e: CustomEvent<number>) => this.roomId && navigate(`/rooms/${this.roomId}/${e.detail}`)}></parley-pins>
      <parley-profile></parley-profile>
      <parley-confirm></parley-confirm>
      <parley-lightbox></parley-lightbox>
      <parley-toasts></parley-toasts>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat': ParleyChat;
  }
}
