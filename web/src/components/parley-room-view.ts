import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { DropZone } from '../controllers/drop-zone.js';
import { messagePath } from '../links.js';
import { navigate } from '../router.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { typingNow } from '../state/typing.js';
import { Watch } from '../state/watch.js';
import { base } from '../styles.js';
import './parley-composer.js';
import './parley-thread.js';
import './parley-timeline.js';

/**
 * One room: its timeline, who is typing, and the composer; images dropped anywhere on the page go to the composer.
 * An open thread shows beside them (over them on phones). Reply on a message sets the composer's reply; a quote
 * jumps to its parent; "N replies" opens the thread.
 */
@customElement('parley-room-view')
export class ParleyRoomView extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() roomId = '';
  /** The message to scroll to and highlight (a link to it). */
  @property({ attribute: false }) focusSeq: number | null = null;
  @query('parley-timeline') private timeline!: HTMLElementTagNameMap['parley-timeline'];
  @query('parley-composer') private composer!: HTMLElementTagNameMap['parley-composer'];
  private readonly name = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => s.rooms.get(this.roomId)?.name,
  );
  private readonly typing = new Watch(
    this,
    () => this.client?.typing.store,
    (s) => s.get(this.roomId),
  );
  private readonly drop = new DropZone(this, (files) => this.composer?.addFiles(files));
  private readonly thread = new Watch(
    this,
    () => this.client?.threads.store,
    (v) => (v?.roomId === this.roomId ? v.rootSeq : null),
  );

  static override styles = [
    base,
    css`
      :host { display: flex; flex: 1; min-height: 0; position: relative; }
      .column { display: flex; flex-direction: column; flex: 1; min-width: 0; min-height: 0; }
      parley-thread { width: 360px; flex: none; border-left: 1px solid var(--border); }
      @media (max-width: 1099px) { parley-thread { width: 320px; } }
      @media (max-width: 719px) { parley-thread { position: absolute; inset: 0; width: auto; border-left: none; z-index: 6; } }
      .drop {
        position: absolute; inset: 8px; border: 3px dashed var(--accent); border-radius: 16px; background: rgba(232, 240, 254, 0.92);
        display: grid; place-items: center; font-weight: 700; color: var(--accent-strong); z-index: 5; pointer-events: none; font-size: 1.1rem;
      }
      .typing { min-height: 1.4rem; padding: 0 1rem; font-size: 0.8rem; color: var(--muted); font-style: italic; background: #fbfcfe; }
    `,
  ];

  constructor() {
    super();
    this.addEventListener('edit-last', (e) => {
      if (this.timeline?.editLast()) e.preventDefault();
    });
    this.addEventListener('focus-composer', () => this.composer?.focus());
    this.addEventListener('reply-to', (e) => this.composer?.setReply(e.detail));
    // A quote links to its parent like any message link: the timeline scrolls to it (loading around it), highlighted.
    this.addEventListener('jump-to', (e) => navigate(messagePath(this.roomId, e.detail)));
    this.addEventListener('open-thread', (e) => {
      const root = this.client.timelines.peek(this.roomId)?.items.get(e.detail);
      this.client.threads.open(this.roomId, e.detail, root?.kind === 'message' ? root.message : null);
      void this.updateComplete.then(() => this.renderRoot.querySelector('parley-thread')?.focus());
    });
    this.addEventListener('thread-closed', () => this.composer?.focus());
  }

  private typingText(): string {
    const who = typingNow(this.typing.value).map((u) => u.displayName);
    if (who.length === 0) return '';
    if (who.length === 1) return `${who[0]} is typing…`;
    if (who.length === 2) return `${who[0]} and ${who[1]} are typing…`;
    return 'Several people are typing…';
  }

  override render() {
    const name = this.name.value ?? 'this room';
    return html`
      <div class="column">
        <parley-timeline .roomId=${this.roomId} .focusSeq=${this.focusSeq}></parley-timeline>
        <div class="typing" aria-live="polite">${this.typingText()}</div>
        <parley-composer .roomId=${this.roomId} .roomName=${name}></parley-composer>
      </div>
      ${this.thread.value !== null ? html`<parley-thread .roomId=${this.roomId} aria-label="Thread"></parley-thread>` : nothing}
      ${this.drop.dragging ? html`<div class="drop" aria-hidden="true">Drop images to attach them</div>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-room-view': ParleyRoomView;
  }
}
