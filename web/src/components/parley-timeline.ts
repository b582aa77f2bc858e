import { consume } from '@lit/context';
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { allows, mayDeleteMessage, mayEditMessage, mayPin } from '../../../server/rooms/policy.js';
import { ScrollAnchor } from '../controllers/scroll-anchor.js';
import { activityRun } from '../state/activity.js';
import { dayOf, timeOf } from '../format.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { receiptOf } from '../state/receipts.js';
import { sameSelection } from '../state/store.js';
import { itemsOf, lastOwnMessage, type PendingMessage, type TimelineItem } from '../state/timeline.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import type { Message, RoomEntry } from '../types.js';
import './parley-emoji-picker.js';
import './parley-message.js';

const GROUP_MS = 5 * 60_000;

type Row =
  | { key: string; kind: 'day'; label: string }
  | { key: string; kind: 'activity'; item: Extract<TimelineItem, { kind: 'activity' }> }
  /** Three or more joins (or leaves) in a row, as one line that opens to name everyone. */
  | { key: string; kind: 'activity-run'; items: Extract<TimelineItem, { kind: 'activity' }>[] }
  | { key: string; kind: 'message'; message: Message; first: boolean }
  | { key: string; kind: 'pending'; pending: PendingMessage };

/** A room's history and live messages, in order, with day separators and activity lines; loads older pages as the
 * reader scrolls up and keeps the scroll position where the reader expects it. */
@customElement('parley-timeline')
export class ParleyTimeline extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() roomId = '';
  /** The message a link points at: scrolled to (its history loaded around it when needed) and highlighted. */
  @property({ attribute: false }) focusSeq: number | null = null;
  /** The seq of the message being edited in place. */
  @internal() private editing: number | null = null;
  /** The linked message, highlighted for a moment once it is in view. */
  @internal() private highlighted: number | null = null;
  /** The link (room:seq) already followed, and the one whose history is loading. */
  private focusDone = '';
  private focusLoading = '';
  private highlightTimer: ReturnType<typeof setTimeout> | undefined;
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
  private readonly pins = new Watch(
    this,
    () => this.client?.pins.store,
    (s) => s.get(this.roomId),
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
      .activity.run summary { cursor: pointer; list-style-position: inside; }
      .activity.run ul { list-style: none; margin: 0.2rem 0 0; padding: 0; max-height: 12rem; overflow-y: auto; }
      .jump { position: absolute; left: 50%; transform: translateX(-50%); bottom: 1px; box-shadow: var(--shadow); border-radius: 999px; z-index: 2; }
      .jump svg { width: 16px; height: 16px; }
      .load-error { text-align: center; color: var(--danger); padding: 1rem; }
      .newer { text-align: center; color: var(--muted); font-size: 0.85rem; padding: 1rem 0 0.5rem; }
      @media (max-width: 719px) {
        .scroller { padding: 0.5rem 0.6rem; }
      }
    `,
  ];

  constructor() {
    super();
    this.addEventListener('edit-start', (e) => void this.startEdit(e.detail));
    this.addEventListener('edit-end', () => this.endEdit());
    this.addEventListener('emoji-request', (e) => {
      e.stopPropagation();
      e.detail.answer(this.renderRoot.querySelector('parley-emoji-picker')!.pick());
    });
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
    this.anchor.afterUpdate(count, newest, tl.loadingOlder, tl.pagedTo > 0 && newest === tl.pagedTo);
    this.followLink();
    // A short history that does not fill the view: fetch more until it does (or there is no more).
    if (this.focusLoading) return;
    if (tl.loaded && tl.hasMore && !tl.loadingOlder && this.anchor.underfilled()) this.loadOlder();
    if (tl.loaded && tl.hasNewer && this.anchor.underfilled()) void this.client.timelines.loadNewer(this.roomId);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.highlightTimer);
  }

  /** Scrolls to the linked message once it is shown (loading the history around it first) and highlights it. */
  private followLink(): void {
    const tl = this.timeline.value;
    const seq = this.focusSeq;
    const key = `${this.roomId}:${seq}`;
    if (seq === null || !tl || this.focusDone === key || this.focusLoading === key || !tl.loaded) return;
    if (tl.items.get(seq)?.kind !== 'message') {
      this.focusLoading = key;
      void this.client.timelines.jumpTo(this.roomId, seq).then((shown) => {
        this.focusLoading = '';
        if (!shown) this.focusDone = key;
        this.requestUpdate();
      });
      return;
    }
    const shown = [...this.renderRoot.querySelectorAll('parley-message')];
    const el = shown.find((m) => m.message?.seq === seq);
    if (!el) return;
    this.focusDone = key;
    this.focusLoading = key; // no paging while the messages take their height
    // The messages render after the timeline: scroll once they have their height.
    void Promise.all(shown.map((m) => m.updateComplete)).then(() => {
      this.focusLoading = '';
      el.scrollIntoView({ block: 'center' });
      this.highlighted = seq;
      clearTimeout(this.highlightTimer);
      this.highlightTimer = setTimeout(() => (this.highlighted = null), 4000);
    });
  }

  /** Edits my newest message (Up in an empty composer); answers whether there is one. */
  editLast(): boolean {
    const tl = this.timeline.value;
    const last = tl ? lastOwnMessage(tl, this.me.value) : undefined;
    if (last) void this.startEdit(last.seq);
    return !!last;
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
    if (this.focusLoading) return; // a linked message is being loaded or scrolled to
    if (this.anchor.onScroll()) this.loadOlder();
    if (this.timeline.value?.hasNewer && this.anchor.isNearBottom()) void this.client.timelines.loadNewer(this.roomId);
  }

  private toLatest(): void {
    void this.client.timelines.toLatest(this.roomId);
    this.dispatchEvent(new CustomEvent('focus-composer', { bubbles: true, composed: true }));
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

  /** Display names of the room's members (reactions name who reacted); a new function when they change, so the
   * messages show the new names. */
  private namesOf: { people: unknown; fn: (id: string) => string | undefined } | null = null;
  private get nameOf(): (id: string) => string | undefined {
    const people = this.people.value[0] as Array<{ id: string; displayName: string }> | undefined;
    // The selection is a fresh array on every render: compare its members, or every message would re-render.
    if (!this.namesOf || !sameSelection(this.namesOf.people, people)) {
      const names = new Map((people ?? []).map((u) => [u.id, u.displayName]));
      this.namesOf = { people, fn: (id) => names.get(id) };
    }
    return this.namesOf.fn;
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
        const last = rows[rows.length - 1];
        const run = activityRun(item.event);
        if (!run) rows.push({ key: `a-${item.seq}`, kind: 'activity', item });
        else if (last?.kind === 'activity-run' && activityRun(last.items[0]!.event) === run) last.items.push(item);
        else rows.push({ key: `a-${item.seq}`, kind: 'activity-run', items: [item] });
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
    // One or two in a row stay lines of their own; three or more are one.
    return rows.flatMap((r) =>
      r.kind === 'activity-run' && r.items.length < 3
        ? r.items.map((item) => ({ key: `a-${item.seq}`, kind: 'activity' as const, item }))
        : [r],
    );
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
        ${
          tl?.hasNewer
            ? html`<div class="newer">${
                tl.loadingNewer
                  ? html`<span role="status">Loading newer messages…</span>`
                  : html`<button class="btn small" @click=${() => void this.client.timelines.loadNewer(this.roomId)}>Load newer messages</button>`
              }</div>`
            : nothing
        }
      </div>
      <parley-emoji-picker></parley-emoji-picker>
      ${
        tl?.hasNewer
          ? html`<button class="btn primary small jump" @click=${() => this.toLatest()}>${icon('down')} Jump to latest</button>`
          : nothing
      }
      ${
        unseen > 0 && !atBottom && !tl?.hasNewer
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
      case 'activity-run': {
        const last = r.items[r.items.length - 1]!;
        const events = r.items.map((i) => i.event);
        return html`<details class="activity run" data-testid="activity"><summary>${this.client.activityRunLine(this.roomId, events)}<time
          datetime=${last.at}>${timeOf(last.at)}</time></summary><ul>${r.items.map(
            (i) =>
              html`<li>${this.client.activityLine(this.roomId, i.event)}<time datetime=${i.at}>${timeOf(i.at)}</time></li>`,
          )}</ul></details>`;
      }
      case 'pending':
        return html`<parley-message .pending=${r.pending}></parley-message>`;
      case 'message': {
        const m = r.message;
        const me = this.me.value;
        const member = room?.membership ?? null;
        const mine = m.author.id === me;
        const pin = this.pins.value?.find((p) => p.message.seq === m.seq) ?? null;
        return html`<parley-message data-seq=${m.seq} .message=${m} ?first=${r.first} ?mine=${mine} ?canReply=${!!member}
          ?editing=${this.editing === m.seq} ?highlight=${this.highlighted === m.seq}
          ?canReact=${!!room && allows(room, member, 'post')} .nameOf=${this.nameOf} .pin=${pin}
          ?canPin=${!!room && mayPin(room, member)}
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
