import { LitElement, html } from 'lit';
import { customElement, query, state as internal } from 'lit/decorators.js';
import type { ConfirmOptions } from '../overlays.js';
import { base } from '../styles.js';
import { dialogStyles } from './dialog-styles.js';

/** Asks the user to confirm a destructive action; the chat shell answers confirm requests with it. */
@customElement('parley-confirm')
export class ParleyConfirm extends LitElement {
  @internal() private opts: ConfirmOptions = { title: '', body: '', confirm: 'OK' };
  @query('dialog') private dialog!: HTMLDialogElement;
  private resolve: ((ok: boolean) => void) | null = null;
  static override styles = [base, dialogStyles];

  async ask(opts: ConfirmOptions): Promise<boolean> {
    this.resolve?.(false);
    this.opts = opts;
    await this.updateComplete;
    this.dialog.showModal();
    this.renderRoot.querySelector<HTMLButtonElement>('.cancel')?.focus();
    return new Promise((resolve) => (this.resolve = resolve));
  }

  private done(ok: boolean): void {
    this.resolve?.(ok);
    this.resolve = null;
    if (this.dialog.open) this.dialog.close();
  }

  override render() {
    return html`<dialog aria-labelledby="confirm-title" @close=${() => this.done(false)}>
      <div class="dialog-body">
        <h2 id="confirm-title">${this.opts.title}</h2>
        <p>${this.opts.body}</p>
        <div class="dialog-actions">
          <button class="btn cancel" @click=${() => this.done(false)}>Cancel</button>
          <button class="btn danger solid" data-testid="confirm" @click=${() => this.done(true)}>${this.opts.confirm}</button>
        </div>
      </div>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-confirm': ParleyConfirm;
  }
}
