import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state as internal } from 'lit/decorators.js';
import { errorText } from '../api.js';
import { avatarSvg } from '../avatars.js';
import { navigate } from '../router.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { MAX_WATCHED } from '../state/members.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';

/** Rows shown must stay put this long before the watch list is sent (scrolling sends one request, not one per row). */
const WATCH_DEBOUNCE_MS = 300;

/**
 * The open room's members: avatar, name, role and an online dot; a name opens the direct conversation. The head
 * says how many are online. In a big room the server sends presence only for the people a client asks about, so
 * the panel asks about the rows it shows (an IntersectionObserver on the list, debounced, capped).
 */
@customElement('parley-members')
export class ParleyMembers extends LitElement {
  @property() roomId = '';
  @property({ type: Boolean }) showClose = false;
  @internal() private opening: string | null = null;
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  private readonly me = new Watch(
    this,
    () => this.client?.session.store,
    (s) => s.me?.id ?? null,
  );
  private readonly members = new Watch(
    this,
    () => this.client?.members.store,
    (s) => s.byRoom.get(this.roomId),
  );
  private readonly more = new Watch(
    this,
    () => this.client?.members.store,
    (s) => s.more.get(this.roomId) ?? null,
  );
  @internal() private loadingMore = false;
  private readonly count = new Watch(
    this,
    () => this.client?.members.store,
    (s) => [s.counts.get(this.roomId), s.partial.has(this.roomId)] as const,
  );
  private observer: IntersectionObserver | null = null;
  private readonly visible = new Set<Element>();
  private watchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly direct = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => s.rooms.get(this.roomId)?.kind === 'direct',
  );

  /** Opens the direct conversation with a member (created the first time). */
  private async message(username: string): Promise<void> {
    this.opening = username;
    try {
      const roomId = await this.client.openDirect(username);
      navigate(`/rooms/${roomId}`);
      if (this.showClose) this.dispatchEvent(new CustomEvent('close-drawer', { bubbles: true, composed: true }));
    } catch (err) {
      this.client.notices.toast(`Could not open the conversation: ${errorText(err)}`, 'error');
    } finally {
      this.opening = null;
    }
  }

  static override styles = [
    base,
    css`
      :host { display: flex; flex-direction: column; height: 100%; min-height: 0; outline: none; }
      .head { display: flex; align-items: center; gap: 0.5rem; padding: 0 0.5rem 0 1rem; min-height: 60px; border-bottom: 1px solid var(--border); }
      h2 { font-size: 1rem; margin: 0; flex: 1; }
      h2 .count { font-size: 0.8rem; font-weight: 500; color: var(--muted); margin-left: 0.35rem; }
      ul { list-style: none; margin: 0; padding: 0.5rem; overflow-y: auto; flex: 1; }
      li { display: block; }
      .row { display: flex; align-items: center; gap: 0.6rem; padding: 0.4rem 0.5rem; border-radius: 10px; width: 100%; text-align: left; }
      button.row { background: none; border: none; font: inherit; color: inherit; }
      button.row:hover { background: var(--surface-2); }
      button.row:hover strong { color: var(--accent-strong); text-decoration: underline; }
      .pic { position: relative; flex: none; }
      .dot { position: absolute; right: -1px; bottom: -1px; width: 12px; height: 12px; border-radius: 50%; border: 2px solid #fff; background: #94a3b8; }
      .dot.online { background: #22c55e; }
      .who { flex: 1; min-width: 0; }
      .who strong { display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-weight: 600; }
      .who span { color: var(--muted); font-size: 0.8rem; }
      .role { font-size: 0.7rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; color: #7c3aed; background: #f3e8ff; border-radius: 6px; padding: 0.1rem 0.35rem; }
      .role.admin { color: #0369a1; background: #e0f2fe; }
      .muted { color: var(--muted); padding: 1rem; }
      .more { display: block; margin: 0.25rem auto 0.5rem; }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopWatching();
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('roomId')) this.stopWatching();
    const list = this.renderRoot.querySelector('ul');
    if (!this.count.value[1] || !list) return this.stopWatching();
    if (!this.observer) {
      this.observer = new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            if (e.isIntersecting) this.visible.add(e.target);
            else this.visible.delete(e.target);
          }
          this.watchSoon();
        },
        { root: list },
      );
    }
    // Observing a row twice is a no-op; rows Lit reuses for other people are read again when the list is sent.
    for (const li of list.querySelectorAll('li')) this.observer.observe(li);
    this.watchSoon();
  }

  private watchSoon(): void {
    clearTimeout(this.watchTimer);
    this.watchTimer = setTimeout(() => {
      const ids: string[] = [];
      for (const el of this.visible) {
        const id = (el as HTMLElement).dataset.userId;
        if (el.isConnected && id && ids.length < MAX_WATCHED) ids.push(id);
      }
      if (ids.length > 0 && this.roomId) void this.client.members.watch(this.roomId, ids);
    }, WATCH_DEBOUNCE_MS);
  }

  private stopWatching(): void {
    clearTimeout(this.watchTimer);
    this.observer?.disconnect();
    this.observer = null;
    this.visible.clear();
  }

  /** A big room's list is read a page at a time (500 members): the next page, after the rows shown. */
  private async showMore(): Promise<void> {
    this.loadingMore = true;
    try {
      await this.client.members.loadMore(this.roomId);
    } finally {
      this.loadingMore = false;
    }
  }

  /** Moves focus into the panel (when it opens as a drawer). */
  async focusFirst(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('.head .icon-btn')?.focus();
  }

  override render() {
    const members = this.members.value;
    const online = this.count.value[0] ?? members?.filter((m) => m.online).length ?? 0;
    const direct = this.direct.value;
    return html`
      <div class="head">
        <h2 id="members-title">Members${members ? html`<span class="sr-only">,</span> <span class="count" data-testid="online-count">${online} online</span>` : nothing}</h2>
        ${this.showClose ? html`<button class="icon-btn" aria-label="Close members" @click=${() => this.dispatchEvent(new CustomEvent('close-drawer', { bubbles: true, composed: true }))}>${icon('close')}</button>` : nothing}
      </div>
      ${
        !members
          ? html`<p class="muted" role="status">Loading members…</p>`
          : html`<ul aria-labelledby="members-title" data-testid="members">
            ${members.map((m) => {
              const self = m.userId === this.me.value;
              const body = html`<span class="pic">${avatarSvg(m.user, 34)}<span class="dot ${m.online ? 'online' : ''}" data-online=${m.online ? 'true' : 'false'}
                    title=${m.online ? 'Online' : 'Offline'}></span></span>
                  <span class="who"><strong>${m.user.displayName}${self ? ' (you)' : ''}</strong>
                    <span>@${m.user.username} · ${m.online ? 'online' : 'offline'}</span></span>
                  ${m.role !== 'member' ? html`<span class="role ${m.role}">${m.role}</span>` : nothing}`;
              return html`<li data-username=${m.user.username} data-user-id=${m.userId}>
                  ${
                    self || direct
                      ? html`<div class="row">${body}</div>`
                      : html`<button class="row" type="button" title=${`Direct messages with ${m.user.displayName}`} aria-label=${`${m.user.displayName}, ${m.online ? 'online' : 'offline'}: open direct messages`}
                        ?disabled=${this.opening === m.user.username} @click=${() => void this.message(m.user.username)}>${body}</button>`
                  }
                </li>`;
            })}
            ${
              this.more.value
                ? html`<li><button class="btn more" type="button" data-testid="more-members" ?disabled=${this.loadingMore}
                    @click=${() => void this.showMore()}>${this.loadingMore ? 'Loading…' : 'Show more members'}</button></li>`
                : nothing
            }
          </ul>`
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-members': ParleyMembers;
  }
}
