import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state as internal } from 'lit/decorators.js';
import type { LightboxImage } from '../overlays.js';
import { base, icon } from '../styles.js';

/** An image full size in a modal dialog; the chat shell answers lightbox requests with it. */
@customElement('parley-lightbox')
export class ParleyLightbox extends LitElement {
  @internal() private image: LightboxImage | null = null;
  @internal() private failed = false;
  @internal() private loaded = false;
  @query('dialog') private dialog!: HTMLDialogElement;
  private opener: HTMLElement | null = null;

  static override styles = [
    base,
    css`
      :host { display: contents; }
      dialog.lightbox {
        width: 100vw; height: 100dvh; max-width: none; max-height: none; margin: 0; border-radius: 0; padding: 0;
        background: rgba(2, 6, 23, 0.92); color: #fff; box-shadow: none;
      }
      dialog.lightbox::backdrop { background: rgba(2, 6, 23, 0.6); }
      .frame { display: flex; flex-direction: column; height: 100%; }
      .bar { display: flex; align-items: center; gap: 0.5rem; padding: 0.5rem 0.75rem; }
      .bar h2 { flex: 1; margin: 0; font-size: 0.95rem; font-weight: 600; min-width: 0; overflow-wrap: anywhere; }
      .bar a { color: #bfdbfe; font-size: 0.9rem; white-space: nowrap; }
      .icon-btn { color: #fff; }
      .icon-btn:hover { background: rgba(255, 255, 255, 0.12); border-color: transparent; }
      .stage { flex: 1; min-height: 0; display: grid; place-items: center; padding: 0 0.75rem 0.75rem; }
      .stage img {
        display: block; max-width: 100%; max-height: 100%; width: auto; height: auto; object-fit: contain; border-radius: 4px;
        background: rgba(255, 255, 255, 0.06);
      }
      .stage img:not(.loaded) { min-width: min(200px, 100%); min-height: 120px; }
      .note { color: #cbd5e1; }
    `,
  ];

  async show(image: LightboxImage, opener: HTMLElement | null): Promise<void> {
    this.image = image;
    this.failed = false;
    this.loaded = false;
    this.opener = opener;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    this.renderRoot.querySelector<HTMLElement>('.close')?.focus();
  }

  private onClose(): void {
    this.image = null;
    const opener = this.opener;
    this.opener = null;
    // Focus goes back to the thumbnail that opened it (across shadow roots, which the browser may not do).
    if (opener?.isConnected) opener.focus();
  }

  private onClick(e: MouseEvent): void {
    // A click on the dark area around the image closes it.
    const t = e.target as HTMLElement;
    if (t === this.dialog || t.classList.contains('stage') || t.classList.contains('frame')) this.dialog.close();
  }

  override render() {
    const img = this.image;
    return html`<dialog class="lightbox" aria-labelledby="lightbox-title" @close=${this.onClose} @click=${this.onClick} data-testid="lightbox">
      ${
        img
          ? html`<div class="frame">
            <div class="bar">
              <h2 id="lightbox-title">${img.caption}</h2>
              <a href=${img.src} target="_blank" rel="noopener noreferrer">Open original</a>
              <button class="icon-btn close" type="button" aria-label="Close image" @click=${() => this.dialog.close()}>${icon('close')}</button>
            </div>
            <div class="stage">
              ${
                this.failed
                  ? html`<p class="note" role="alert">The image could not be loaded.</p>`
                  : html`<img src=${img.src} alt=${img.alt} width=${img.width || nothing} height=${img.height || nothing} class=${this.loaded ? 'loaded' : ''}
                    @load=${() => (this.loaded = true)} @error=${() => (this.failed = true)} />`
              }
            </div>
          </div>`
          : nothing
      }
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-lightbox': ParleyLightbox;
  }
}
