import { consume } from '@lit/context';
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { mayDeleteMessage, mayEditMessage } from '../../../server/rooms/policy.js';
import { ScrollAnchor } from '../controllers/scroll-anchor.js';
import { dayOf, timeOf } from '../format.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { receiptOf } from '../state/receipts.js';
import { itemsOf, lastOwnMessage, type PendingMessage, type TimelineItem } from '../state/timeline.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import type { Message, RoomEntry } from '../types.js';
import './parley-message.js';

const GROUP_MS = 5 * 60_000;

type Row =
  | { key: string; kind: 'day'; label: string }
  | { key: string; kind: 'activity'; item: Extract<TimelineItem, { kind: 'activity' }> }
  | { key: string; kind: 'message'; message: Message; first: boolean }
  | { key: string; kind: 'pending'; pending: PendingMessage };

/** A room's history and live messages, in order, with day separators and activity lines; loads older pages as the
 * reader scrolls up and keeps the scroll position where the reader expects it. */
@customElement('parley-timeline')
export class ParleyTimeline extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() roomId = '';
  /** The seq of the message being edited in place. */
  @internal() private editing: number | null = null;
  @query('.scroller') private scroller!: HTMLElement | null;
  private readonly anchor = new ScrollAnchor(this, () => this.scroller);
  private readonly timeline = new Watch(
    this,
    () => (this.roomId ? this.client?.timelines.of(this.roomId) : null),
    (t) => t,
  );
  private readonly receipts = new Watch(
    this,
    () => this.client?.receipts.store,
    (s) => s.get(this.roomId),
  );
  private readonly me = new Watch(
    this,
    () => this.client?.session.store,
    (s) => s.me?.id ?? null,
  );
  private readonly room = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => s.rooms.get(this.roomId),
  );
  // Activity lines name people as they are called now.
  private readonly people = new Watch(
    this,
    () => this.client?.members.store,
    (s) => [s.byRoom.get(this.roomId)?.map((m) => m.user), s.profiles],
  );

  static override styles = [
    base,
    css`
      :host { display: flex; flex-direction: column; flex: 1; min-height: 0; position: relative; }
      .scroller { flex: 1; overflow-y: auto; padding: 0.75rem 1rem 0.5rem; overscroll-behavior: contain; background: #fbfcfe; }
      .scroller:focus-visible { outline-offset: -3px; }
      .older { text-align: center; color: var(--muted); font-size: 0.85rem; padding: 0.5rem 0 1rem; }
      .day { display: flex; align-items: center; gap: 0.75rem; color: var(--muted); font-size: 0.78rem; font-weight: 600; margin: 0.9rem 0 0.5rem; }
      .day::before, .day::after { content: ''; flex: 1; height: 1px; background: var(--border); }
      .activity { text-align: center; color: var(--muted); font-size: 0.82rem; margin: 0.35rem 0; }
      .activity time { opacity: 0.8; margin-left: 0.35rem; }
      .jump { position: absolute; left: 50%; transform: translateX(-50%); bottom: 1px; box-shadow: var(--shadow); border-radius: 999px; z-index: 2; }
      .jump svg { width: 16px; height: 16px; }
      .load-error { text-align: center; color: var(--danger); padding: 1rem; }
      @media (max-width: 719px) {
        .scroller { padding: 0.5rem 0.6rem; }
      }
    `,
  ];

  constructor() {
    super();
    this.addEventListener('edit-start', (e) => void this.startEdit(e.detail));
    this.addEventListener('edit-end', () => this.endEdit());
  }

  override willUpdate(changed: PropertyValues<this>): void {
    const newRoom = changed.has('roomId');
    if (newRoom) this.editing = null;
    this.anchor.beforeUpdate(newRoom);
  }

  override updated(): void {
    const tl = this.timeline.value;
    if (!tl || !this.scroller) return;
    const items = itemsOf(tl);
    const count = items.length + tl.pending.length;
    const newest = Math.max(items[items.length - 1]?.seq ?? 0, tl.pending.length ? Number.MAX_SAFE_INTEGER : 0);
    this.anchor.afterUpdate(count, newest, tl.loadingOlder);
    // A short history that does not fill the view: fetch more until it does (or there is no more).
    if (tl.loaded && tl.hasMore && !tl.loadingOlder && this.anchor.underfilled()) this.loadOlder();
  }

  /** Edits my newest message (Up in an empty composer); answers whether there is one. */
  editLast(): boolean {
    const tl = this.timeline.value;
    const last = tl ? lastOwnMessage(tl, this.me.value) : undefined;
    if (last) void this.startEdit(last.seq);
    return !!last;
  }

  /** Scrolls to the message `seq` and highlights it, loading older pages until it is there (a reply's parent). */
  async jumpTo(seq: number): Promise<void> {
    for (let page = 0; page < 20; page++) {
      const el = this.renderRoot.querySelector<HTMLElement>(`parley-message[data-seq="${seq}"]`);
      if (el) {
        el.scrollIntoView({ block: 'center' });
        el.setAttribute('highlight', '');
        setTimeout(() => el.removeAttribute('highlight'), 2000);
        return;
      }
      const tl = this.timeline.value;
      if (!tl?.loaded || !tl.hasMore) break;
      this.anchor.keepPlace();
      await this.client.timelines.loadOlder(this.roomId);
      await this.updateComplete;
    }
    this.client.notices.toast('That message is not in the history any more.', 'info');
  }

  private async startEdit(seq: number): Promise<void> {
    this.editing = seq;
    await this.updateComplete;
  }

  private endEdit(): void {
    this.editing = null;
    this.dispatchEvent(new CustomEvent('focus-composer', { bubbles: true, composed: true }));
  }

  private onScroll(): void {
    if (this.anchor.onScroll()) this.loadOlder();
  }

  private loadOlder(): void {
    const tl = this.timeline.value;
    if (!tl || !tl.loaded || !tl.hasMore || tl.loadingOlder) return;
    this.anchor.keepPlace();
    void this.client.timelines.loadOlder(this.roomId);
  }

  private jumpToBottom(): void {
    this.anchor.jumpToBottom();
    this.dispatchEvent(new CustomEvent('focus-composer', { bubbles: true, composed: true }));
  }

  private rows(items: readonly TimelineItem[], pending: readonly PendingMessage[]): Row[] {
    const rows: Row[] = [];
    let lastDay = '';
    let prev: Message | null = null;
    const addDay = (iso: string) => {
      const day = dayOf(iso);
      if (day !== lastDay) {
        rows.push({ key: `day-${iso.slice(0, 10)}-${rows.length}`, kind: 'day', label: day });
        lastDay = day;
        prev = null;
      }
    };
    for (const item of items) {
      if (item.kind === 'activity') {
        addDay(item.at);
        rows.push({ key: `a-${item.seq}`, kind: 'activity', item });
        prev = null;
        continue;
      }
      const m = item.message;
      addDay(m.createdAt);
      const p = prev as Message | null;
      const first = !p || p.author.id !== m.author.id || Date.parse(m.createdAt) - Date.parse(p.createdAt) > GROUP_MS;
      rows.push({ key: `m-${m.seq}`, kind: 'message', message: m, first });
      prev = m;
    }
    for (const p of pending) {
      addDay(p.createdAt);
      rows.push({ key: p.localId, kind: 'pending', pending: p });
    }
    return rows;
  }

  override render() {
    const tl = this.timeline.value;
    const room = this.room.value;
    const name = room?.name ?? 'this room';
    const rows = tl ? this.rows(itemsOf(tl), tl.pending) : [];
    const { unseen, atBottom } = this.anchor;
    return html`
      <div class="scroller" role="log" aria-label=${`Messages in ${name}`} aria-live="polite" aria-relevant="additions" tabindex="0" @scroll=${this.onScroll}
        data-testid="timeline">
        ${
          tl?.error && !tl.loaded
            ? html`<div class="load-error" role="alert">Could not load messages: ${tl.error}
              <button class="btn small" @click=${() => void this.client.timelines.loadLatest(this.roomId)}>Try again</button></div>`
            : nothing
        }
        <div class="older">
          ${
            !tl?.loaded
              ? html`<span role="status">Loading messages…</span>`
              : tl.loadingOlder
                ? html`<span role="status">Loading older messages…</span>`
                : tl.hasMore
                  ? html`<button class="btn small" @click=${() => this.loadOlder()}>Load older messages</button>`
                  : html`This is the beginning of <strong>${name}</strong>.`
          }
        </div>
        ${repeat(
          rows,
          (r) => r.key,
          (r) => this.renderRow(r, room),
        )}
      </div>
      ${
        unseen > 0 && !atBottom
          ? html`<button class="btn primary small jump" @click=${() => this.jumpToBottom()}>${icon('down')} ${unseen} new message${unseen === 1 ? '' : 's'}</button>`
          : nothing
      }
    `;
  }

  private renderRow(r: Row, room: RoomEntry | undefined): TemplateResult {
    switch (r.kind) {
      case 'day':
        return html`<div class="day" role="separator">${r.label}</div>`;
      case 'activity':
        return html`<div class="activity" data-testid="activity">${this.client.activityLine(this.roomId, r.item.event)}<time
          datetime=${r.item.at}>${timeOf(r.item.at)}</time></div>`;
      case 'pending':
        return html`<parley-message .pending=${r.pending}></parley-message>`;
      case 'message': {
        const m = r.message;
        const me = this.me.value;
        const member = room?.membership ?? null;
        const mine = m.author.id === me;
        return html`<parley-message data-seq=${m.seq} .message=${m} ?first=${r.first} ?mine=${mine} ?canReply=${!!member}
          ?editing=${this.editing === m.seq}
          ?canEdit=${!!room && mayEditMessage(room, member, m) && m.text !== null}
          ?canDelete=${!!room && mayDeleteMessage(room, member, m)}
          .receipt=${mine ? receiptOf(this.receipts.value, m.seq) : 'sent'}></parley-message>`;
      }
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-timeline': ParleyTimeline;
  }
  interface HTMLElementEventMap {
    'focus-composer': CustomEvent<void>;
  }
}
