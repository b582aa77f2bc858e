import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { MentionChoice } from '../controllers/mention-query.js';
import { base } from '../styles.js';

/**
 * The list the composer shows while an `@name` is typed: the room's members that match. It only shows; the composer
 * keeps the keyboard (arrows move `active`, Enter or Tab choose, Esc closes) and the text box keeps focus. A click
 * chooses too: it fires `choose` with the choice.
 */
@customElement('parley-mention-picker')
export class ParleyMentionPicker extends LitElement {
  @property({ attribute: false }) choices: MentionChoice[] = [];
  @property({ type: Number }) active = 0;

  static override styles = [
    base,
    css`
      :host { display: block; position: absolute; left: 0; right: 0; bottom: 100%; z-index: 5; padding: 0 0.75rem; }
      ul { list-style: none; margin: 0 0 0.25rem; padding: 0.25rem; max-width: 22rem; background: var(--surface);
        border: 1px solid var(--border); border-radius: 10px; box-shadow: 0 6px 24px rgb(0 0 0 / 0.18); }
      li { display: flex; gap: 0.5rem; align-items: baseline; padding: 0.4rem 0.6rem; border-radius: 7px; cursor: pointer; min-height: 36px; }
      li[aria-selected='true'] { background: var(--accent); color: #fff; }
      li[aria-selected='true'] .detail { color: #fff; opacity: 0.85; }
      .label { font-weight: 600; }
      .detail { color: var(--muted); font-size: 0.85rem; }
    `,
  ];

  override render() {
    if (!this.choices.length) return nothing;
    return html`<ul role="listbox" id="mention-list" aria-label="People to mention" data-testid="mention-picker">
      ${this.choices.map(
        (c, i) => html`<li role="option" id=${`mention-${i}`} aria-selected=${i === this.active ? 'true' : 'false'}
          data-name=${c.name} @mousedown=${(e: Event) => e.preventDefault()}
          @click=${() => this.dispatchEvent(new CustomEvent('choose', { detail: c }))}>
          <span class="label">${c.label}</span><span class="detail">${c.detail}</span>
        </li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-mention-picker': ParleyMentionPicker;
  }
}
