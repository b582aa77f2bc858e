import { consume } from '@lit/context';
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';

/** Short notices at the bottom of the page (errors stay longer). */
@customElement('parley-toasts')
export class ParleyToasts extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  private readonly toasts = new Watch(
    this,
    () => this.client?.notices.store,
    (s) => s,
  );
  static override styles = [
    base,
    css`
      :host { position: fixed; left: 50%; transform: translateX(-50%); bottom: 96px; z-index: 50; display: grid; gap: 0.5rem; width: min(420px, calc(100vw - 24px)); pointer-events: none; }
      .toast { pointer-events: auto; display: flex; align-items: center; gap: 0.5rem; background: #0f172a; color: #fff; border-radius: 12px; padding: 0.6rem 0.6rem 0.6rem 0.9rem; box-shadow: var(--shadow); }
      .toast.error { background: var(--danger); }
      .toast span { flex: 1; }
      .icon-btn { color: #fff; width: 32px; height: 32px; }
      .icon-btn:hover { background: rgba(255, 255, 255, 0.15); }
    `,
  ];

  override render() {
    return html`<div role="status" aria-live="polite" style="display:contents">
      ${(this.toasts.value ?? []).map(
        (t) => html`<div class="toast ${t.kind}"><span>${t.text}</span>
          <button class="icon-btn" aria-label="Dismiss" @click=${() => this.client.notices.dismiss(t.id)}>${icon('close')}</button></div>`,
      )}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-toasts': ParleyToasts;
  }
}
