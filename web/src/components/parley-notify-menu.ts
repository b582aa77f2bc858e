import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state as internal } from 'lit/decorators.js';
import { errorText } from '../api.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { DesktopNotifier } from '../state/desktop-notifier.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import type { NotifyLevel } from '../types.js';

const LEVELS: Array<[NotifyLevel, string, string]> = [
  ['all', 'All messages', 'Notify me of every new message'],
  ['mentions', 'Mentions', 'Only @me, @room and @here'],
  ['none', 'Nothing', 'No notifications from this room'],
];

/**
 * The room header's bell: my notification level for the room, mute, and (from a click, never on load) the
 * browser's permission for desktop notifications.
 */
@customElement('parley-notify-menu')
export class ParleyNotifyMenu extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() roomId = '';
  @internal() private open = false;
  @internal() private permission = DesktopNotifier.permission;
  private readonly membership = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => s.rooms.get(this.roomId)?.membership ?? null,
  );

  static override styles = [
    base,
    css`
      :host { position: relative; display: inline-block; }
      .bell.off { opacity: 0.55; }
      .menu { position: absolute; right: 0; top: calc(100% + 6px); z-index: 20; width: 17rem; background: var(--surface); color: var(--text);
        border: 1px solid var(--border); border-radius: 12px; box-shadow: 0 10px 30px rgb(0 0 0 / 0.2); padding: 0.6rem; }
      fieldset { border: none; margin: 0; padding: 0; }
      legend { font-weight: 700; font-size: 0.85rem; margin-bottom: 0.3rem; }
      label.opt { display: flex; gap: 0.5rem; align-items: flex-start; padding: 0.35rem 0.3rem; border-radius: 8px; cursor: pointer; }
      label.opt:hover { background: rgba(15, 23, 42, 0.05); }
      label.opt small { display: block; color: var(--muted); }
      .row { border-top: 1px solid var(--border); margin-top: 0.4rem; padding-top: 0.45rem; }
      .note { color: var(--muted); font-size: 0.8rem; margin: 0.3rem 0 0; }
    `,
  ];

  private async set(patch: { notify?: NotifyLevel; muted?: boolean }): Promise<void> {
    try {
      await this.client.setNotify(this.roomId, patch);
    } catch (err) {
      this.client.notices.toast(errorText(err), 'error');
    }
  }

  private async allowDesktop(): Promise<void> {
    this.permission = await DesktopNotifier.ask();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape' && this.open) {
      e.stopPropagation();
      this.open = false;
      this.renderRoot.querySelector<HTMLButtonElement>('.bell')?.focus();
    }
  }

  override render() {
    const m = this.membership.value;
    if (!m) return nothing;
    const quiet = m.muted || m.notify === 'none';
    return html`<div @keydown=${this.onKey}>
      <button class="icon-btn bell ${quiet ? 'off' : ''}" aria-label="Notifications" title="Notifications" aria-haspopup="true"
        aria-expanded=${this.open ? 'true' : 'false'} data-testid="notify-menu-button" @click=${() => (this.open = !this.open)}>
        ${icon('bell')}</button>
      ${
        this.open
          ? html`<div class="menu" data-testid="notify-menu">
            <fieldset>
              <legend>Notify me about</legend>
              ${LEVELS.map(
                ([level, label, hint]) => html`<label class="opt"><input type="radio" name="notify" .value=${level}
                  .checked=${m.notify === level} @change=${() => this.set({ notify: level })} />
                  <span>${label}<small>${hint}</small></span></label>`,
              )}
            </fieldset>
            <div class="row"><label class="opt"><input type="checkbox" .checked=${m.muted} data-testid="mute"
              @change=${(e: Event) => this.set({ muted: (e.target as HTMLInputElement).checked })} />
              <span>Mute this room<small>No unread badge; mentions still count</small></span></label></div>
            <div class="row">
              ${
                this.permission === 'default'
                  ? html`<button class="btn small" data-testid="allow-desktop" @click=${() => this.allowDesktop()}>Enable desktop notifications</button>`
                  : html`<p class="note">${
                      this.permission === 'granted'
                        ? 'Desktop notifications are on for this browser.'
                        : this.permission === 'denied'
                          ? 'Desktop notifications are blocked in this browser’s site settings.'
                          : 'This browser cannot show desktop notifications.'
                    }</p>`
              }
            </div>
          </div>`
          : nothing
      }
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-notify-menu': ParleyNotifyMenu;
  }
}
