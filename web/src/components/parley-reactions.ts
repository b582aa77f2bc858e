import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state as internal } from 'lit/decorators.js';
import { reactedBy } from '../state/reactions.js';
import { base } from '../styles.js';
import type { ReactionSummary } from '../types.js';

/**
 * The reaction bar under a message: one chip per emoji with its count, pressed when it is mine. A click toggles my
 * reaction (`react` event, detail { emoji, on }); hovering shows who reacted (the title), and a long press on a touch
 * screen shows it in a line under the bar. The + chip asks for the picker (`react-pick`).
 */
@customElement('parley-reactions')
export class ParleyReactions extends LitElement {
  @property({ attribute: false }) reactions: readonly ReactionSummary[] = [];
  /** Display names by user id, for "who reacted". */
  @property({ attribute: false }) nameOf: (id: string) => string | undefined = () => undefined;
  @property({ type: Boolean }) canReact = false;
  @internal() private showing: string | null = null;
  private pressTimer: ReturnType<typeof setTimeout> | undefined;
  private longPressed = false;

  static override styles = [
    base,
    css`
      :host { display: block; }
      .bar { display: flex; flex-wrap: wrap; gap: 0.25rem; margin-top: 0.25rem; }
      .chip {
        display: inline-flex; align-items: center; gap: 0.25rem; min-height: 28px; padding: 0 0.5rem; border-radius: 999px;
        border: 1px solid var(--border); background: var(--surface); font-size: 0.85rem; line-height: 1; cursor: pointer;
        -webkit-user-select: none; user-select: none; -webkit-touch-callout: none;
      }
      .chip:hover { background: var(--surface-2); }
      .chip[aria-pressed='true'] { border-color: var(--accent); background: #e8f0fe; color: var(--accent-strong); font-weight: 600; }
      .chip .emoji { font-size: 1rem; }
      .add { color: var(--muted); font-weight: 700; }
      .who { font-size: 0.75rem; color: var(--muted); margin-top: 0.2rem; }
    `,
  ];

  private toggle(r: ReactionSummary): void {
    if (this.longPressed) {
      this.longPressed = false;
      return;
    }
    if (!this.canReact) return;
    this.dispatchEvent(
      new CustomEvent('react', { bubbles: true, composed: true, detail: { emoji: r.emoji, on: !r.me } }),
    );
  }

  private pressStart(r: ReactionSummary): void {
    clearTimeout(this.pressTimer);
    this.pressTimer = setTimeout(() => {
      this.longPressed = true;
      this.showing = r.emoji;
    }, 500);
  }

  private pressEnd(): void {
    clearTimeout(this.pressTimer);
  }

  override render() {
    if (!this.reactions.length) return nothing;
    const shown = this.reactions.find((r) => r.emoji === this.showing);
    return html`<div class="bar" role="group" aria-label="Reactions" data-testid="reactions">
        ${this.reactions.map((r) => {
          const who = reactedBy(r, this.nameOf);
          return html`<button class="chip" aria-pressed=${r.me ? 'true' : 'false'} title=${who} aria-label=${`${who} (${r.count})`}
            data-testid="reaction" data-emoji=${r.emoji} data-count=${r.count}
            @click=${() => this.toggle(r)} @pointerdown=${() => this.pressStart(r)} @pointerup=${this.pressEnd}
            @pointerleave=${this.pressEnd} @contextmenu=${(e: Event) => e.preventDefault()}>
            <span class="emoji" aria-hidden="true">${r.emoji}</span><span aria-hidden="true">${r.count}</span></button>`;
        })}
        ${
          this.canReact
            ? html`<button class="chip add" aria-label="Add a reaction" title="Add a reaction" data-testid="add-reaction"
              @click=${() => this.dispatchEvent(new CustomEvent('react-pick', { bubbles: true, composed: true }))}>+</button>`
            : nothing
        }
      </div>
      ${shown ? html`<div class="who" role="status" @click=${() => (this.showing = null)}>${reactedBy(shown, this.nameOf)}</div>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-reactions': ParleyReactions;
  }
  interface HTMLElementEventMap {
    react: CustomEvent<{ emoji: string; on: boolean }>;
    'react-pick': CustomEvent<void>;
  }
}
