import { consume } from '@lit/context';
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { mayDeleteMessage, mayEditMessage } from '../../../server/rooms/policy.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { receiptOf } from '../state/receipts.js';
import { repliesOf } from '../state/threads.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import type { Message } from '../types.js';
import './parley-composer.js';
import './parley-message.js';

/**
 * The open thread of a room, beside its timeline (over it on phones): the root, its replies in order, my replies on
 * their way, and a composer whose messages reply in the thread. It follows the thread live (see state/threads.ts).
 */
@customElement('parley-thread')
export class ParleyThread extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() roomId = '';
  @internal() private editing: number | null = null;
  @query('.list') private list!: HTMLElement | null;
  @query('parley-composer') private composer!: HTMLElementTagNameMap['parley-composer'] | null;
  private stick = true;
  private readonly view = new Watch(
    this,
    () => this.client?.threads.store,
    (v) => (v?.roomId === this.roomId ? v : null),
  );
  private readonly pending = new Watch(
    this,
    () => (this.roomId ? this.client?.timelines.of(this.roomId) : null),
    (tl) => tl.pending,
  );
  private readonly room = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => s.rooms.get(this.roomId),
  );
  private readonly me = new Watch(
    this,
    () => this.client?.session.store,
    (s) => s.me?.id ?? null,
  );
  private readonly receipts = new Watch(
    this,
    () => this.client?.receipts.store,
    (s) => s.get(this.roomId),
  );

  static override styles = [
    base,
    css`
      :host { display: flex; flex-direction: column; min-height: 0; background: var(--surface); }
      header { display: flex; align-items: center; gap: 0.5rem; padding: 0.5rem 0.5rem 0.5rem 1rem; border-bottom: 1px solid var(--border); min-height: 52px; }
      header h2 { margin: 0; font-size: 1rem; flex: 1; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      header h2 span { color: var(--muted); font-weight: 400; font-size: 0.85rem; margin-left: 0.35rem; }
      .list { flex: 1; overflow-y: auto; padding: 0.5rem 0.75rem 0.75rem; background: #fbfcfe; overscroll-behavior: contain; }
      .count { display: flex; align-items: center; gap: 0.6rem; color: var(--muted); font-size: 0.78rem; font-weight: 600; margin: 0.8rem 0 0.2rem; }
      .count::after { content: ''; flex: 1; height: 1px; background: var(--border); }
      .status { color: var(--muted); font-size: 0.85rem; text-align: center; padding: 1rem; }
      .status.error { color: var(--danger); }
    `,
  ];

  constructor() {
    super();
    // Replies, edits and jumps inside the panel stay in the panel.
    this.addEventListener('reply-to', (e) => {
      e.stopPropagation();
      this.composer?.setReply(e.detail.seq === this.view.value?.rootSeq ? null : e.detail);
    });
    this.addEventListener('jump-to', (e) => {
      e.stopPropagation();
      this.show(e.detail);
    });
    this.addEventListener('edit-start', (e) => {
      e.stopPropagation();
      this.editing = e.detail;
    });
    this.addEventListener('edit-end', (e) => {
      e.stopPropagation();
      this.editing = null;
      this.composer?.focus();
    });
  }

  override focus(): void {
    this.composer?.focus();
  }

  override willUpdate(): void {
    const list = this.list;
    this.stick = !list || list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  }

  override updated(changed: PropertyValues<this>): void {
    // New replies keep the panel at the bottom when it was there.
    if (this.list && (this.stick || changed.has('roomId'))) this.list.scrollTop = this.list.scrollHeight;
  }

  private show(seq: number): void {
    const el = this.renderRoot.querySelector<HTMLElement>(`parley-message[data-seq="${seq}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.setAttribute('highlight', '');
    setTimeout(() => el.removeAttribute('highlight'), 2000);
  }

  private close(): void {
    this.client.threads.close();
    this.dispatchEvent(new CustomEvent('thread-closed', { bubbles: true, composed: true }));
  }

  private renderMessage(m: Message, rootSeq: number) {
    const room = this.room.value;
    const member = room?.membership ?? null;
    const mine = m.author.id === this.me.value;
    return html`<parley-message compact data-seq=${m.seq} .message=${m} first ?mine=${mine} .rootSeq=${rootSeq} ?canReply=${!!member}
      ?editing=${this.editing === m.seq} ?canEdit=${!!room && mayEditMessage(room, member, m) && m.text !== null}
      ?canDelete=${!!room && mayDeleteMessage(room, member, m)}
      .receipt=${mine ? receiptOf(this.receipts.value, m.seq) : 'sent'}></parley-message>`;
  }

  override render() {
    const view = this.view.value;
    if (!view) return nothing;
    const root = view.root;
    const replies = repliesOf(view);
    const pending = this.pending.value.filter((p) => p.threadSeq === view.rootSeq);
    const count = root?.thread?.replies ?? replies.filter((m) => !m.deletedAt).length;
    const roomName = this.room.value?.name ?? '';
    return html`
      <header>
        <h2 id="thread-title">Thread<span>${roomName ? `in ${roomName}` : ''}</span></h2>
        <button class="icon-btn" aria-label="Close thread" title="Close thread" data-testid="close-thread"
          @click=${() => this.close()}>${icon('close')}</button>
      </header>
      <div class="list" role="log" aria-labelledby="thread-title" aria-live="polite" data-testid="thread-list">
        ${root ? this.renderMessage(root, root.seq) : nothing}
        <div class="count" data-testid="thread-count">${count} ${count === 1 ? 'reply' : 'replies'}</div>
        ${repeat(
          replies,
          (m) => m.seq,
          (m) => this.renderMessage(m, view.rootSeq),
        )}
        ${pending.map((p) => html`<parley-message .pending=${p} .rootSeq=${view.rootSeq}></parley-message>`)}
        ${view.loading ? html`<div class="status" role="status">Loading the thread…</div>` : nothing}
        ${view.error ? html`<div class="status error" role="alert">Could not load the thread: ${view.error}</div>` : nothing}
      </div>
      ${root ? html`<parley-composer .roomId=${this.roomId} .roomName=${roomName} .threadRoot=${root}></parley-composer>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-thread': ParleyThread;
  }
  interface HTMLElementEventMap {
    'thread-closed': CustomEvent<void>;
  }
}
