import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { nameOf, type DraftImage } from '../controllers/uploads.js';
import { formatBytes } from '../format.js';
import { base, icon } from '../styles.js';

/** The images chosen for the next message, each with its progress, size or problem; fires `retry-image` and
 * `remove-image` with the image. */
@customElement('parley-attachment-tray')
export class ParleyAttachmentTray extends LitElement {
  @property({ attribute: false }) images: readonly DraftImage[] = [];

  static override styles = [
    base,
    css`
      :host { display: block; }
      .tray { display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0.5rem 0.75rem 0; background: var(--surface); border-top: 1px solid var(--border); list-style: none; margin: 0; }
      .chip { display: flex; align-items: center; gap: 0.5rem; border: 1px solid var(--border); border-radius: 12px; padding: 0.35rem; background: var(--surface-2); max-width: min(360px, 100%); min-width: 0; }
      .chip.failed { border-color: #fca5a5; background: #fff7f7; }
      .chip .thumb { width: 48px; height: 48px; border-radius: 8px; object-fit: cover; flex: none; background: #e2e8f0; display: grid; place-items: center; }
      .chip .thumb svg { width: 22px; height: 22px; color: var(--muted); }
      .chip .info { flex: 1; min-width: 0; font-size: 0.8rem; display: grid; gap: 0.2rem; }
      .chip .fname { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      .chip .state { color: var(--muted); }
      .chip .error-text { font-size: 0.8rem; }
      .chip progress { width: 100%; height: 6px; accent-color: var(--accent); }
      .chip .icon-btn { width: 32px; height: 32px; flex: none; }
      .chip .icon-btn svg { width: 16px; height: 16px; }
    `,
  ];

  private emit(name: 'retry-image' | 'remove-image', image: DraftImage): void {
    this.dispatchEvent(new CustomEvent(name, { detail: image }));
  }

  override render() {
    if (!this.images.length) return nothing;
    return html`<ul class="tray" aria-label="Images to send" data-testid="tray">
      ${repeat(
        this.images,
        (i) => i.key,
        (i) => {
          const name = nameOf(i.file);
          return html`<li class="chip ${i.status}" data-testid="draft-image" data-status=${i.status}>
          ${i.preview ? html`<img class="thumb" src=${i.preview} alt="" />` : html`<span class="thumb">${icon('attach')}</span>`}
          <div class="info">
            <span class="fname" title=${name}>${name}</span>
            ${
              i.status === 'uploading'
                ? html`<progress max="100" value=${Math.round(i.progress * 100)} aria-label=${`Uploading ${name}`}></progress>`
                : i.status === 'done'
                  ? html`<span class="state">Ready · ${formatBytes(i.upload?.size ?? i.file.size)}</span>`
                  : html`<span class="error-text" role="alert" data-testid="upload-error">${name} ${i.error}</span>`
            }
          </div>
          ${
            i.status === 'failed' && i.retryable
              ? html`<button class="icon-btn" type="button" aria-label=${`Retry ${name}`} title="Retry" @click=${() => this.emit('retry-image', i)}>${icon('retry')}</button>`
              : nothing
          }
          <button class="icon-btn" type="button" aria-label=${`Remove ${name}`} title="Remove" @click=${() => this.emit('remove-image', i)}>${icon('close')}</button>
        </li>`;
        },
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-attachment-tray': ParleyAttachmentTray;
  }
}
