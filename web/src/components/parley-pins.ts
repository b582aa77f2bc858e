import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { mayPin } from '../../../server/rooms/policy.js';
import { errorText } from '../api.js';
import { avatarSvg } from '../avatars.js';
import { fullTime, timeOf } from '../format.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import type { PinEntry } from '../state/pins.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import { dialogStyles } from './dialog-styles.js';

/**
 * The room's pinned messages, newest pin first, with who pinned each and when; opened from the room header. A click
 * on one fires `jump` (detail: its seq) for the timeline to scroll to it; owners and admins can unpin from here.
 */
@customElement('parley-pins')
export class ParleyPins extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @internal() private roomId = '';
  @query('dialog') private dialog!: HTMLDialogElement;
  private readonly pins = new Watch(
    this,
    () => this.client?.pins.store,
    (s) => s.get(this.roomId),
  );
  private readonly room = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => s.rooms.get(this.roomId),
  );

  static override styles = [
    base,
    dialogStyles,
    css`
      dialog { width: min(520px, 94vw); }
      ul { max-height: min(60vh, 480px); margin: 0; }
      li { align-items: flex-start; border-bottom: 1px solid var(--border); padding: 0.5rem 0; }
      li:last-child { border-bottom: none; }
      .open { flex: 1; min-width: 0; text-align: left; background: none; border: none; padding: 0.15rem; border-radius: 8px; cursor: pointer; display: flex; gap: 0.5rem; }
      .open:hover { background: var(--surface-2); }
      .body { min-width: 0; flex: 1; }
      .who { font-size: 0.82rem; }
      .who strong { color: #166534; }
      .text { overflow: hidden; text-overflow: ellipsis; display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow-wrap: anywhere; }
      .by { font-size: 0.72rem; color: var(--muted); margin-top: 0.15rem; }
      .empty { color: var(--muted); }
      .icon-btn svg { width: 18px; height: 18px; }
    `,
  ];

  async open(roomId: string): Promise<void> {
    this.roomId = roomId;
    if (!this.client.pins.has(roomId)) void this.client.pins.load(roomId).catch(() => undefined);
    await this.updateComplete;
    this.dialog.showModal();
  }

  private jump(p: PinEntry): void {
    this.dialog.close();
    this.dispatchEvent(new CustomEvent('jump', { bubbles: true, composed: true, detail: p.message.seq }));
  }

  private async unpin(p: PinEntry): Promise<void> {
    try {
      await this.client.pins.pin(this.roomId, p.message.seq, false);
    } catch (err) {
      this.client.notices.toast(`Could not unpin: ${errorText(err)}`, 'error');
    }
  }

  override render() {
    const pins = this.pins.value;
    const room = this.room.value;
    const canUnpin = !!room && mayPin(room, room.membership);
    return html`<dialog aria-labelledby="pins-title" data-testid="pins-panel">
      <div class="dialog-body">
        <div class="head"><h2 id="pins-title">Pinned messages</h2>
          <button class="icon-btn" aria-label="Close" @click=${() => this.dialog.close()}>${icon('close')}</button></div>
        ${
          !pins
            ? html`<p role="status">Loading…</p>`
            : pins.length === 0
              ? html`<p class="empty">Nothing is pinned yet.${canUnpin ? ' Pin a message from its menu.' : ''}</p>`
              : html`<ul>
                ${pins.map(
                  (p) => html`<li data-testid="pinned" data-seq=${p.message.seq}>
                    <button class="open" @click=${() => this.jump(p)} aria-label=${`Go to the message by ${p.message.author.displayName}`}>
                      ${avatarSvg(p.message.author, 28)}
                      <span class="body">
                        <span class="who"><strong>${p.message.author.displayName}</strong>
                          <time datetime=${p.message.createdAt} title=${fullTime(p.message.createdAt)}>${timeOf(p.message.createdAt)}</time></span>
                        <span class="text" data-testid="pinned-text">${p.message.text ?? (p.message.attachments.length ? 'An image' : '')}</span>
                        <span class="by">Pinned by ${p.by.displayName} · <time datetime=${p.at}>${fullTime(p.at)}</time></span>
                      </span>
                    </button>
                    ${canUnpin ? html`<button class="icon-btn" aria-label="Unpin" title="Unpin" @click=${() => this.unpin(p)}>${icon('close')}</button>` : nothing}
                  </li>`,
                )}
              </ul>`
        }
      </div>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-pins': ParleyPins;
  }
  interface HTMLElementEventMap {
    jump: CustomEvent<number>;
  }
}
