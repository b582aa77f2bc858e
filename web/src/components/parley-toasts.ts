import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { StateController } from '../controller.js';
import { state } from '../state.js';
import { base, icon } from '../styles.js';

/** Short notices at the bottom of the page (errors stay longer). */
@customElement('parley-toasts')
export class ParleyToasts extends LitElement {
  private readonly stateCtl = new StateController(this);
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
    void this.stateCtl;
    return html`<div role="status" aria-live="polite" style="display:contents">
      ${state.toasts.map(
        (t) => html`<div class="toast ${t.kind}"><span>${t.text}</span>
          <button class="icon-btn" aria-label="Dismiss" @click=${() => state.dismissToast(t.id)}>${icon('close')}</button></div>`,
      )}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-toasts': ParleyToasts;
  }
}
