import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { errorText } from '../api.js';
import { avatarSvg } from '../avatars.js';
import { linkClick, navigate } from '../router.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { directRooms, groupRooms, publicRooms } from '../state/rooms.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import type { RoomEntry } from '../types.js';

/** My rooms with unread counts, public rooms to join, and the signed-in user. */
@customElement('parley-rooms')
export class ParleyRooms extends LitElement {
  @property() activeId: string | null = null;
  @property({ type: Boolean }) showClose = false;
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  private readonly me = new Watch(
    this,
    () => this.client?.session.store,
    (s) => s.me,
  );
  private readonly rooms = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => ({
      groups: groupRooms(s.rooms),
      direct: directRooms(s.rooms),
      discover: publicRooms(s.rooms),
      unread: s.unread,
      mentions: s.mentions,
      loaded: s.loaded,
    }),
  );

  static override styles = [
    base,
    css`
      :host { display: flex; flex-direction: column; height: 100%; min-height: 0; outline: none; }
      .top { display: flex; align-items: center; gap: 0.5rem; padding: 0.9rem 0.9rem 0.5rem; }
      .logo { width: 32px; height: 32px; border-radius: 10px; background: linear-gradient(135deg, #3b82f6, #22c55e); display: grid; place-items: center; color: #fff; font-weight: 800; }
      .brand { font-weight: 800; font-size: 1.15rem; flex: 1; color: #fff; }
      .icon-btn { color: #cbd5e1; }
      .icon-btn:hover { background: rgba(255, 255, 255, 0.08); border-color: transparent; }
      nav { flex: 1; overflow-y: auto; padding: 0.25rem 0.5rem 1rem; }
      h2 { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.06em; color: #94a3b8; margin: 1rem 0.5rem 0.35rem; display: flex; align-items: center; justify-content: space-between; }
      h2 .icon-btn { width: 30px; height: 30px; }
      h2 .icon-btn svg { width: 18px; height: 18px; }
      ul { list-style: none; margin: 0; padding: 0; }
      a.room {
        display: flex; align-items: center; gap: 0.5rem; padding: 0.5rem 0.6rem; border-radius: 10px; color: #cbd5e1; text-decoration: none;
      }
      a.room svg { width: 16px; height: 16px; flex: none; opacity: 0.7; }
      a.room .peer { display: grid; place-items: center; width: 16px; flex: none; }
      a.room .peer svg { width: 20px; height: 20px; opacity: 1; }
      a.room:hover { background: rgba(255, 255, 255, 0.07); color: #fff; }
      a.room[aria-current='page'] { background: #2563eb; color: #fff; }
      a.room.unread .name { font-weight: 700; color: #fff; }
      .name { flex: 1; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      .name .handle { font-size: 0.8rem; color: #94a3b8; font-weight: 400; }
      .badge { background: #22c55e; color: #052e16; }
      .badge.mention { background: #f59e0b; color: #451a03; }
      a.room.muted-room { opacity: 0.6; }
      .discover li { display: flex; align-items: center; gap: 0.5rem; padding: 0.35rem 0.6rem; color: #cbd5e1; }
      .discover li > svg { width: 16px; height: 16px; flex: none; opacity: 0.7; }
      .discover a.name { color: inherit; }
      .discover .btn { background: transparent; color: #e2e8f0; border-color: #334155; }
      .discover .btn:hover { background: rgba(255, 255, 255, 0.08); }
      .muted { color: #94a3b8; font-size: 0.85rem; padding: 0.25rem 0.6rem; margin: 0; }
      .me { display: flex; align-items: center; gap: 0.6rem; padding: 0.75rem 0.9rem; border-top: 1px solid #1e2b47; }
      .me .who { flex: 1; min-width: 0; }
      .me .who strong { display: block; color: #fff; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      .me .who span { font-size: 0.8rem; color: #94a3b8; }
      .me button.profile { background: none; border: none; padding: 0; border-radius: 50%; }
      .create { margin: 0.5rem 0.5rem 0; width: calc(100% - 1rem); background: rgba(255, 255, 255, 0.06); color: #fff; border-color: #334155; }
      .create:hover:not(:disabled) { background: rgba(255, 255, 255, 0.12); }
    `,
  ];

  private async join(id: string): Promise<void> {
    try {
      await this.client.joinRoom(id);
      navigate(`/rooms/${id}`);
    } catch (err) {
      this.client.notices.toast(errorText(err), 'error');
    }
  }

  private emit(name: string): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true }));
  }

  /** Moves focus into the panel (when it opens as a drawer). */
  async focusFirst(): Promise<void> {
    await this.updateComplete;
    this.renderRoot
      .querySelector<HTMLElement>('.top .icon-btn, a.room[aria-current="page"], a.room, button.create')
      ?.focus();
  }

  private renderRoom(room: RoomEntry) {
    const open = room.id === this.activeId;
    const muted = room.membership?.muted === true;
    // A muted room shows no unread count (and is dimmed); mentions of me show in every room.
    const unread = open || muted ? 0 : (this.rooms.value.unread.get(room.id) ?? 0);
    const mentions = open ? 0 : (this.rooms.value.mentions.get(room.id) ?? 0);
    const kind = room.kind === 'private' ? ', private' : room.kind === 'direct' ? ', direct message' : '';
    // A display name can copy someone else's: the username tells them apart.
    const handle = room.kind === 'direct' && room.peer ? `@${room.peer.username}` : '';
    return html`<li>
      <a class="room ${unread || mentions ? 'unread' : ''} ${muted ? 'muted-room' : ''}" href=${`/rooms/${room.id}`} @click=${linkClick} data-room-id=${room.id}
        aria-current=${room.id === this.activeId ? 'page' : 'false'}
        aria-label=${`${room.name}${handle ? ` (${handle})` : ''}${kind}${unread ? `, ${unread} unread` : ''}${mentions ? `, ${mentions} mentioning you` : ''}${muted ? ', muted' : ''}`}>
        ${room.kind === 'direct' && room.peer ? html`<span class="peer">${avatarSvg(room.peer, 20)}</span>` : icon(room.kind === 'private' ? 'lock' : 'hash')}<span class="name">${room.name}${handle ? html` <span class="handle">${handle}</span>` : nothing}</span>
        ${mentions ? html`<span class="badge mention" data-testid="mention-badge" aria-hidden="true">@${mentions > 99 ? '99+' : mentions}</span>` : nothing}
        ${unread ? html`<span class="badge" data-testid="unread" aria-hidden="true">${unread > 99 ? '99+' : unread}</span>` : nothing}
      </a>
    </li>`;
  }

  override render() {
    const me = this.me.value;
    const { groups, direct, discover, loaded } = this.rooms.value;
    return html`
      <div class="top">
        <div class="logo" aria-hidden="true">P</div>
        <span class="brand">Parley</span>
        ${this.showClose ? html`<button class="icon-btn" aria-label="Close rooms" @click=${() => this.emit('close-drawer')}>${icon('close')}</button>` : nothing}
      </div>
      <button class="btn create" @click=${() => this.emit('create-room')}>${icon('plus')} New room</button>
      <nav aria-label="Rooms">
        <h2 id="my-rooms">My rooms</h2>
        ${groups.length === 0 && loaded ? html`<p class="muted">No rooms yet.</p>` : nothing}
        <ul aria-labelledby="my-rooms" data-testid="my-rooms">
          ${groups.map((room) => this.renderRoom(room))}
        </ul>
        ${
          direct.length
            ? html`<h2 id="direct-rooms">Direct messages</h2>
              <ul aria-labelledby="direct-rooms" data-testid="direct-rooms">
                ${direct.map((room) => this.renderRoom(room))}
              </ul>`
            : nothing
        }
        ${
          discover.length
            ? html`<h2 id="discover">Public rooms</h2>
              <ul class="discover" aria-labelledby="discover" data-testid="public-rooms">
                ${discover.map(
                  (room) => html`<li>
                    ${icon('hash')}<a class="name" href=${`/rooms/${room.id}`} @click=${linkClick} title=${room.topic}>${room.name}</a>
                    <button class="btn small" @click=${() => this.join(room.id)} aria-label=${`Join ${room.name}`}>Join</button>
                  </li>`,
                )}
              </ul>`
            : nothing
        }
      </nav>
      ${
        me
          ? html`<div class="me">
            <button class="profile" aria-label="Edit profile" title="Edit profile" @click=${() => this.emit('edit-profile')}>${avatarSvg(me, 36)}</button>
            <div class="who"><strong>${me.displayName}</strong><span>@${me.username}</span></div>
            <button class="icon-btn" aria-label="Sign out" title="Sign out" data-testid="logout" @click=${() => void this.client.logout()}>${icon('logout')}</button>
          </div>`
          : nothing
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-rooms': ParleyRooms;
  }
}
