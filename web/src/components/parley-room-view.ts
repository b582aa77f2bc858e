import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { DropZone } from '../controllers/drop-zone.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { typingNow } from '../state/typing.js';
import { Watch } from '../state/watch.js';
import { base } from '../styles.js';
import './parley-composer.js';
import './parley-timeline.js';

/** One room: its timeline, who is typing, and the composer; images dropped anywhere on the page go to the composer. */
@customElement('parley-room-view')
export class ParleyRoomView extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() roomId = '';
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

  static override styles = [
    base,
    css`
      :host { display: flex; flex-direction: column; flex: 1; min-height: 0; position: relative; }
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
      <parley-timeline .roomId=${this.roomId}></parley-timeline>
      <div class="typing" aria-live="polite">${this.typingText()}</div>
      ${this.drop.dragging ? html`<div class="drop" aria-hidden="true">Drop images to attach them</div>` : nothing}
      <parley-composer .roomId=${this.roomId} .roomName=${name}></parley-composer>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-room-view': ParleyRoomView;
  }
}
