import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { avatarSvg } from '../avatars.js';
import { StateController } from '../controller.js';
import { state } from '../state.js';
import { base, icon } from '../styles.js';

/** The open room's members: avatar, name, role and an online dot. */
@customElement('parley-members')
export class MembersPanel extends LitElement {
  @property() roomId = '';
  @property({ type: Boolean }) showClose = false;
  private readonly stateCtl = new StateController(this);

  static override styles = [
    base,
    css`
      :host { display: flex; flex-direction: column; height: 100%; min-height: 0; outline: none; }
      .head { display: flex; align-items: center; gap: 0.5rem; padding: 0 0.5rem 0 1rem; min-height: 60px; border-bottom: 1px solid var(--border); }
      h2 { font-size: 1rem; margin: 0; flex: 1; }
      ul { list-style: none; margin: 0; padding: 0.5rem; overflow-y: auto; flex: 1; }
      li { display: flex; align-items: center; gap: 0.6rem; padding: 0.4rem 0.5rem; border-radius: 10px; }
      li:hover { background: var(--surface-2); }
      .pic { position: relative; flex: none; }
      .dot { position: absolute; right: -1px; bottom: -1px; width: 12px; height: 12px; border-radius: 50%; border: 2px solid #fff; background: #94a3b8; }
      .dot.online { background: #22c55e; }
      .who { flex: 1; min-width: 0; }
      .who strong { display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-weight: 600; }
      .who span { color: var(--muted); font-size: 0.8rem; }
      .role { font-size: 0.7rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; color: #7c3aed; background: #f3e8ff; border-radius: 6px; padding: 0.1rem 0.35rem; }
      .role.admin { color: #0369a1; background: #e0f2fe; }
      .muted { color: var(--muted); padding: 1rem; }
    `,
  ];

  /** Moves focus into the panel (when it opens as a drawer). */
  async focusFirst(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('.head .icon-btn')?.focus();
  }

  override render() {
    void this.stateCtl;
    const members = state.members.get(this.roomId);
    const online = members?.filter((m) => m.online).length ?? 0;
    return html`
      <div class="head">
        <h2 id="members-title">Members ${members ? html`<span class="sr-only">, ${online} online</span>` : nothing}</h2>
        ${this.showClose ? html`<button class="icon-btn" aria-label="Close members" @click=${() => this.dispatchEvent(new CustomEvent('close-drawer', { bubbles: true, composed: true }))}>${icon('close')}</button>` : nothing}
      </div>
      ${!members
        ? html`<p class="muted" role="status">Loading members…</p>`
        : html`<ul aria-labelledby="members-title" data-testid="members">
            ${members.map(
              (m) => html`<li data-username=${m.user.username}>
                <span class="pic">${avatarSvg(m.user, 34)}<span class="dot ${m.online ? 'online' : ''}" title=${m.online ? 'Online' : 'Offline'}></span></span>
                <span class="who"><strong>${m.user.displayName}${m.userId === state.me?.id ? ' (you)' : ''}</strong>
                  <span>@${m.user.username} · ${m.online ? 'online' : 'offline'}</span></span>
                ${m.role !== 'member' ? html`<span class="role ${m.role}">${m.role}</span>` : nothing}
              </li>`,
            )}
          </ul>`}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-members': MembersPanel;
  }
}
