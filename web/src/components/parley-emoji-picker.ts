import 'emoji-picker-element';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { base } from '../styles.js';

/** Parley serves the picker's emoji data itself (server/plugins/web-assets.ts), never a CDN. */
export const EMOJI_DATA_URL = '/emoji/data.json';

/**
 * The reaction picker: emoji-picker-element in a modal dialog (search, categories, skin tones, recently used).
 * `pick()` opens it and answers the chosen emoji, or null when closed without one.
 */
@customElement('parley-emoji-picker')
export class ParleyEmojiPicker extends LitElement {
  @query('dialog') private dialog!: HTMLDialogElement;
  private answer: ((emoji: string | null) => void) | null = null;
  /** The picker (and its emoji data, 440 KB) is made on first use, not with every timeline. */
  @state() private wanted = false;

  static override styles = [
    base,
    css`
      dialog { padding: 0; border: none; border-radius: 14px; box-shadow: var(--shadow); background: var(--surface); }
      emoji-picker { --border-size: 0; --outline-size: 3px; height: 360px; width: min(360px, 92vw); }
      @media (max-width: 719px) {
        dialog { margin: auto auto 0; width: 100%; max-width: 100%; border-radius: 14px 14px 0 0; }
        emoji-picker { width: 100%; height: 50vh; }
      }
    `,
  ];

  async pick(): Promise<string | null> {
    this.answer?.(null);
    const chosen = new Promise<string | null>((resolve) => (this.answer = resolve));
    this.wanted = true;
    await this.updateComplete;
    this.dialog.showModal();
    return chosen;
  }

  private done(emoji: string | null): void {
    const answer = this.answer;
    this.answer = null;
    if (this.dialog.open) this.dialog.close();
    answer?.(emoji);
  }

  private onPick(e: Event): void {
    const detail = (e as CustomEvent<{ unicode?: string }>).detail;
    if (detail.unicode) this.done(detail.unicode);
  }

  override render() {
    return html`<dialog aria-label="Choose a reaction" @close=${() => this.done(null)}
      @click=${(e: MouseEvent) => e.target === this.dialog && this.done(null)}>
      ${
        this.wanted
          ? html`<emoji-picker data-source=${EMOJI_DATA_URL} @emoji-click=${this.onPick}></emoji-picker>`
          : nothing
      }
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-emoji-picker': ParleyEmojiPicker;
  }
}
