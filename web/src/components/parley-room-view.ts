import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { ApiError, errorText, uploadFile, type UploadHandle } from '../api.js';
import { avatarSvg } from '../avatars.js';
import { StateController } from '../controller.js';
import { dayOf, fullTime, linkify, timeOf } from '../format.js';
import { state, type PendingAttachment, type PendingMessage, type TimelineItem } from '../state.js';
import { base, icon } from '../styles.js';
import type { Attachment, Message } from '../types.js';
import { requestConfirm, requestLightbox } from '../overlays.js';

const GROUP_MS = 5 * 60_000;
const MAX_LEN = 4000;
const MAX_IMAGES = 4;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
/** Thumbnails in the timeline fit this box (the server's thumbnails fit 320x320). */
const THUMB_BOX = 240;

/** An image chosen for the next message: uploading (with progress), uploaded, or refused (with the reason). */
interface DraftImage {
  key: number;
  file: File;
  preview: string | null;
  status: 'uploading' | 'done' | 'failed';
  progress: number;
  upload?: Attachment;
  error?: string;
  /** Whether trying again may help (the network or the server failed, not the file). */
  retryable?: boolean;
  handle?: UploadHandle<{ upload: Attachment }>;
}

let nextDraftKey = 1;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  const mb = n / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1).replace(/\.0$/, '') : Math.round(mb)} MB`;
}

/** Why an upload failed, as the end of a sentence that starts with the file name. */
function uploadProblem(err: unknown): string {
  if (!(err instanceof ApiError)) return `could not be uploaded: ${errorText(err)}`;
  switch (err.code) {
    case 'PAYLOAD_TOO_LARGE': {
      const max = /(\d+) bytes/.exec(err.message);
      return `is too large to share${max ? `: images can be at most ${formatBytes(Number(max[1]))}` : ''}.`;
    }
    case 'IMAGE_TOO_LARGE':
      return 'has too many pixels to share. Try a smaller image.';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'is not a supported image. Share a PNG, JPEG, GIF or WebP image.';
    case 'INVALID_IMAGE':
    case 'EMPTY_FILE':
      return 'could not be read as an image. It may be damaged.';
    case 'NETWORK':
      return 'could not be uploaded: the connection to the server failed. Check your connection and retry.';
    default:
      return `could not be uploaded: ${err.message}`;
  }
}

/** The displayed size of a thumbnail: the image's aspect, fitted in THUMB_BOX (reserves the space before it loads). */
function thumbSize(w: number, h: number): { width: number; height: number } {
  const width = w > 0 ? w : THUMB_BOX;
  const height = h > 0 ? h : THUMB_BOX;
  const scale = Math.min(1, THUMB_BOX / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Files with a name (pasted images have none in some browsers). */
function nameOf(file: File): string {
  return file.name || `image.${(file.type.split('/')[1] ?? 'png').replace('jpeg', 'jpg')}`;
}

type Row =
  | { key: string; kind: 'day'; label: string }
  | { key: string; kind: 'activity'; item: Extract<TimelineItem, { kind: 'activity' }> }
  | { key: string; kind: 'message'; message: Message; first: boolean }
  | { key: string; kind: 'pending'; pending: PendingMessage };

/** One room: its timeline (history, live messages, activity lines) and the composer. */
@customElement('parley-room-view')
export class ParleyRoomView extends LitElement {
  @property() roomId = '';
  @internal() private editing: number | null = null;
  @internal() private unseen = 0;
  @internal() private atBottom = true;
  @query('.scroller') private scroller!: HTMLElement;
  @query('textarea.compose') private composer!: HTMLTextAreaElement;
  private readonly stateCtl = new StateController(this);
  private anchor: { height: number; top: number } | null = null;
  private lastCount = 0;
  private lastNewest = 0;
  private stick = true;
  private draft = new Map<string, string>();
  /** Images chosen for the next message, per room. */
  private images = new Map<string, DraftImage[]>();
  /** Rooms whose message waits for its uploads to finish before it is sent. */
  private sendWhenReady = new Set<string>();
  @internal() private dragging = false;
  @internal() private composeNote = '';
  private dragTimer: ReturnType<typeof setTimeout> | undefined;
  @query('input.file') private fileInput!: HTMLInputElement;

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
      .msg { display: flex; gap: 0.5rem; align-items: flex-end; margin-top: 2px; position: relative; }
      .msg.first { margin-top: 0.7rem; }
      .msg.theirs { padding-right: 12%; }
      .msg.mine { flex-direction: row-reverse; padding-left: 12%; }
      .gutter { width: 36px; flex: none; align-self: flex-start; }
      .bubble {
        max-width: min(640px, 100%); padding: 0.45rem 0.7rem 0.3rem; border-radius: 16px; border: 1px solid; min-width: 0;
        overflow-wrap: anywhere; word-break: break-word;
      }
      .theirs .bubble { background: var(--theirs); border-color: var(--theirs-border); border-top-left-radius: 6px; }
      .mine .bubble { background: var(--mine); border-color: var(--mine-border); border-top-right-radius: 6px; }
      .msg:not(.first).theirs .bubble { border-top-left-radius: 16px; border-bottom-left-radius: 6px; }
      .msg:not(.first).mine .bubble { border-top-right-radius: 16px; border-bottom-right-radius: 6px; }
      .meta { display: flex; gap: 0.5rem; align-items: baseline; font-size: 0.82rem; margin-bottom: 0.1rem; }
      .meta strong { color: #166534; }
      .meta .handle { color: var(--muted); font-size: 0.75rem; }
      .text { white-space: pre-wrap; }
      .text a { color: #1d4ed8; text-decoration: underline; }
      .foot { display: flex; justify-content: flex-end; gap: 0.35rem; font-size: 0.72rem; color: var(--muted); margin-top: 0.1rem; }
      .attachments { display: flex; flex-wrap: wrap; gap: 0.35rem; margin: 0.3rem 0 0.1rem; }
      .attachments a, .attachments .shot { display: block; border-radius: 10px; max-width: 100%; line-height: 0; }
      .attachments a:focus-visible { outline-offset: 2px; }
      .attachments img { display: block; border-radius: 10px; max-width: 100%; height: auto; background: #e2e8f0; cursor: zoom-in; }
      .pending .attachments img { cursor: default; }
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
      .compose-note { padding: 0.35rem 0.75rem 0; font-size: 0.82rem; color: var(--muted); background: var(--surface); }
      .compose-note.error { color: var(--danger); font-weight: 600; }
      .attach { width: 44px; height: 44px; flex: none; color: var(--muted); }
      .drop {
        position: absolute; inset: 8px; border: 3px dashed var(--accent); border-radius: 16px; background: rgba(232, 240, 254, 0.92);
        display: grid; place-items: center; font-weight: 700; color: var(--accent-strong); z-index: 5; pointer-events: none; font-size: 1.1rem;
      }
      .deleted .text { font-style: italic; color: var(--muted); }
      .status.failed { color: var(--danger); font-weight: 600; }
      .ticks { letter-spacing: -0.25em; padding-right: 0.25em; font-weight: 700; }
      .ticks.read { color: #2563eb; }
      .typing { min-height: 1.4rem; padding: 0 1rem; font-size: 0.8rem; color: var(--muted); font-style: italic; background: #fbfcfe; }
      .pending .bubble { opacity: 0.75; }
      .failed .bubble { border-color: #fca5a5; }
      .actions { display: flex; gap: 0.15rem; opacity: 0; transition: opacity 0.1s; align-self: center; }
      .msg:hover .actions, .msg:focus-within .actions { opacity: 1; }
      @media (hover: none) { .actions { opacity: 0.8; } }
      .actions .icon-btn { width: 32px; height: 32px; color: var(--muted); }
      .actions .icon-btn svg { width: 16px; height: 16px; }
      .linkish { background: none; border: none; padding: 0; color: var(--accent-strong); text-decoration: underline; font-size: inherit; font-weight: 600; }
      .edit textarea { min-height: 60px; resize: vertical; background: #fff; }
      .edit .row { display: flex; gap: 0.4rem; justify-content: flex-end; margin: 0.35rem 0 0.2rem; align-items: center; }
      .edit .row .hint { margin-right: auto; font-size: 0.75rem; color: var(--muted); }
      .jump { position: absolute; left: 50%; transform: translateX(-50%); bottom: 86px; box-shadow: var(--shadow); border-radius: 999px; z-index: 2; }
      .jump svg { width: 16px; height: 16px; }
      form.composer { display: flex; gap: 0.5rem; align-items: flex-end; padding: 0.6rem 0.75rem calc(0.6rem + env(safe-area-inset-bottom)); border-top: 1px solid var(--border); background: var(--surface); }
      .compose-wrap { flex: 1; min-width: 0; }
      textarea.compose { resize: none; max-height: 40vh; min-height: 44px; line-height: 1.4; border-radius: 14px; display: block; }
      .counter { font-size: 0.75rem; color: var(--muted); text-align: right; }
      .counter.over { color: var(--danger); }
      .send { width: 44px; height: 44px; border-radius: 12px; background: var(--accent); color: #fff; border: none; display: grid; place-items: center; flex: none; }
      .send:hover:not(:disabled) { background: var(--accent-strong); }
      .send svg { width: 20px; height: 20px; }
      .load-error { text-align: center; color: var(--danger); padding: 1rem; }
      @media (max-width: 719px) {
        .scroller { padding: 0.5rem 0.6rem; }
        .msg.theirs { padding-right: 4%; }
        .msg.mine { padding-left: 4%; }
        .gutter { width: 30px; }
      }
    `,
  ];

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('roomId')) {
      const old = changed.get('roomId') as string | undefined;
      if (old && this.composer) this.draft.set(old, this.composer.value);
      this.editing = null;
      this.composeNote = '';
      this.unseen = 0;
      this.stick = true;
      this.lastCount = 0;
      this.lastNewest = 0;
      this.anchor = null;
    } else if (this.scroller) {
      this.stick = this.isNearBottom();
    }
  }

  private isNearBottom(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  override updated(changed: PropertyValues<this>): void {
    const s = this.scroller;
    if (!s) return;
    if (changed.has('roomId') && this.composer) {
      this.composer.value = this.draft.get(this.roomId) ?? '';
      this.autosize();
    }
    const tl = state.timelines.get(this.roomId);
    const items = state.itemsOf(this.roomId);
    const count = items.length + (tl?.pending.length ?? 0);
    const newest = Math.max(items[items.length - 1]?.seq ?? 0, tl?.pending.length ? Number.MAX_SAFE_INTEGER : 0);
    if (this.anchor && !tl?.loadingOlder) {
      // Older messages were added above: keep what the reader was looking at in place.
      s.scrollTop = this.anchor.top + (s.scrollHeight - this.anchor.height);
      this.anchor = null;
    } else if (count !== this.lastCount || newest !== this.lastNewest) {
      const grewAtBottom = newest !== this.lastNewest;
      if (this.stick || this.lastCount === 0) s.scrollTop = s.scrollHeight;
      else if (grewAtBottom) this.unseen += Math.max(1, count - this.lastCount);
    }
    this.lastCount = count;
    this.lastNewest = newest;
    // A short history that does not fill the view: fetch more until it does (or there is no more).
    if (tl?.loaded && tl.hasMore && !tl.loadingOlder && s.scrollHeight <= s.clientHeight + 40) this.loadOlder();
  }

  private onScroll(): void {
    const s = this.scroller;
    const bottom = this.isNearBottom();
    if (bottom !== this.atBottom) this.atBottom = bottom;
    if (bottom && this.unseen) this.unseen = 0;
    if (s.scrollTop < 150) this.loadOlder();
  }

  private loadOlder(): void {
    const tl = state.timelines.get(this.roomId);
    if (!tl || !tl.loaded || !tl.hasMore || tl.loadingOlder) return;
    this.anchor = { height: this.scroller.scrollHeight, top: this.scroller.scrollTop };
    void state.loadOlder(this.roomId);
  }

  private jumpToBottom(): void {
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    this.unseen = 0;
    this.composer?.focus();
  }

  private typingText(): string {
    const who = state.typingIn(this.roomId).map((u) => u.displayName);
    if (who.length === 0) return '';
    if (who.length === 1) return `${who[0]} is typing…`;
    if (who.length === 2) return `${who[0]} and ${who[1]} are typing…`;
    return 'Several people are typing…';
  }

  private rows(): Row[] {
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
    for (const item of state.itemsOf(this.roomId)) {
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
    for (const p of state.timelines.get(this.roomId)?.pending ?? []) {
      addDay(p.createdAt);
      rows.push({ key: p.localId, kind: 'pending', pending: p });
    }
    return rows;
  }

  override render() {
    void this.stateCtl;
    const room = state.rooms.get(this.roomId);
    const tl = state.timelines.get(this.roomId);
    const rows = this.rows();
    const name = room?.name ?? 'this room';
    return html`
      <div class="scroller" role="log" aria-label=${`Messages in ${name}`} aria-live="polite" aria-relevant="additions" tabindex="0" @scroll=${this.onScroll}
        data-testid="timeline">
        ${tl?.error && !tl.loaded
          ? html`<div class="load-error" role="alert">Could not load messages: ${tl.error}
              <button class="btn small" @click=${() => void state.loadLatest(this.roomId)}>Try again</button></div>`
          : nothing}
        <div class="older">
          ${!tl?.loaded
            ? html`<span role="status">Loading messages…</span>`
            : tl.loadingOlder
              ? html`<span role="status">Loading older messages…</span>`
              : tl.hasMore
                ? html`<button class="btn small" @click=${() => this.loadOlder()}>Load older messages</button>`
                : html`This is the beginning of <strong>${name}</strong>.`}
        </div>
        ${repeat(rows, (r) => r.key, (r) => this.renderRow(r))}
      </div>
      ${this.unseen > 0 && !this.atBottom
        ? html`<button class="btn primary small jump" @click=${() => this.jumpToBottom()}>${icon('down')} ${this.unseen} new message${this.unseen === 1 ? '' : 's'}</button>`
        : nothing}
      <div class="typing" aria-live="polite">${this.typingText()}</div>
      ${this.renderTray()}
      ${this.composeNote
        ? html`<div class="compose-note ${this.sendWhenReady.has(this.roomId) ? '' : 'error'}" role=${this.sendWhenReady.has(this.roomId) ? 'status' : 'alert'}
            data-testid="compose-note">${this.composeNote}</div>`
        : nothing}
      ${this.dragging ? html`<div class="drop" aria-hidden="true">Drop images to attach them</div>` : nothing}
      <form class="composer" @submit=${this.submit}>
        <input class="file" type="file" accept=${IMAGE_TYPES.join(',')} multiple hidden aria-label="Attach images" data-testid="file-input"
          @change=${this.onFilesChosen} />
        <button class="icon-btn attach" type="button" aria-label="Attach images" title="Attach images (or paste, or drop them here)"
          @click=${() => this.fileInput.click()}>${icon('attach')}</button>
        <div class="compose-wrap">
          <label class="sr-only" for="compose">Message ${name}</label>
          <textarea id="compose" class="compose" rows="1" placeholder=${`Message ${name}`} maxlength=${MAX_LEN + 1000}
            enterkeyhint="send" @keydown=${this.onComposerKey} @input=${this.onInput} @paste=${this.onPaste} aria-describedby="compose-hint"></textarea>
          <span id="compose-hint" class="sr-only">Enter sends; Shift+Enter starts a new line.</span>
          ${this.composer && this.composer.value.length > MAX_LEN - 500
            ? html`<div class="counter ${this.composer.value.length > MAX_LEN ? 'over' : ''}">${this.composer.value.length} / ${MAX_LEN}</div>`
            : nothing}
        </div>
        <button class="send" type="submit" aria-label="Send message" title="Send (Enter)">${icon('send')}</button>
      </form>
    `;
  }

  private renderRow(r: Row): TemplateResult {
    switch (r.kind) {
      case 'day':
        return html`<div class="day" role="separator">${r.label}</div>`;
      case 'activity':
        return html`<div class="activity" data-testid="activity">${state.activityLine(this.roomId, r.item.event)}<time datetime=${r.item.at}>${timeOf(r.item.at)}</time></div>`;
      case 'pending':
        return this.renderPending(r.pending);
      case 'message':
        return this.renderMessage(r.message, r.first);
    }
  }

  private renderMessage(m: Message, first: boolean): TemplateResult {
    const mine = m.author.id === state.me?.id;
    const role = state.roleIn(this.roomId);
    const deleted = m.deletedAt !== null || (m.text === null && m.attachments.length === 0);
    const canDelete = !deleted && (mine || role === 'owner' || role === 'admin');
    const canEdit = !deleted && mine && m.text !== null;
    const editing = this.editing === m.seq;
    const showHeader = !mine && first;
    return html`<div class="msg ${mine ? 'mine' : 'theirs'} ${first ? 'first' : ''} ${deleted ? 'deleted' : ''}" data-testid="message"
        data-seq=${m.seq} data-status="sent" data-author=${m.author.username}>
      ${mine ? nothing : html`<div class="gutter">${showHeader ? avatarSvg(m.author, 36) : nothing}</div>`}
      <div class="bubble">
        ${showHeader
          ? html`<div class="meta"><strong>${m.author.displayName}</strong><span class="handle">@${m.author.username}</span><time datetime=${m.createdAt} title=${fullTime(m.createdAt)}>${timeOf(m.createdAt)}</time></div>`
          : nothing}
        ${editing
          ? html`<form class="edit" @submit=${(e: Event) => this.saveEdit(e, m)}>
              <label class="sr-only" for=${`edit-${m.seq}`}>Edit message</label>
              <textarea id=${`edit-${m.seq}`} .value=${m.text ?? ''} @keydown=${(e: KeyboardEvent) => this.onEditKey(e, m)}></textarea>
              <div class="row"><span class="hint">Enter to save · Esc to cancel</span>
                <button type="button" class="btn small" @click=${() => this.cancelEdit()}>Cancel</button>
                <button type="submit" class="btn small primary">Save</button></div>
            </form>`
          : html`${deleted || m.text ? html`<div class="text" data-testid="message-text">${deleted ? 'This message was deleted.' : linkify(m.text ?? '')}</div>` : nothing}
              ${deleted ? nothing : this.renderAttachments(m)}`}
        <div class="foot">
          ${m.editedAt && !deleted ? html`<span class="edited" title=${`Edited ${fullTime(m.editedAt)}`}>edited</span>` : nothing}
          ${showHeader ? nothing : html`<time datetime=${m.createdAt} title=${fullTime(m.createdAt)}>${timeOf(m.createdAt)}</time>`}
          ${mine && !deleted ? this.renderTicks(m.seq) : nothing}
        </div>
      </div>
      ${(canEdit || canDelete) && !editing
        ? html`<div class="actions">
            ${canEdit ? html`<button class="icon-btn" aria-label="Edit message" title="Edit" @click=${() => this.startEdit(m.seq)}>${icon('edit')}</button>` : nothing}
            ${canDelete ? html`<button class="icon-btn" aria-label="Delete message" title="Delete" @click=${() => this.removeMessage(m)}>${icon('trash')}</button>` : nothing}
          </div>`
        : nothing}
    </div>`;
  }

  /** Image attachments as thumbnails (space reserved from their size); a click shows the full image in a lightbox. */
  private renderAttachments(m: Message) {
    const images = m.attachments.filter((a): a is Attachment => typeof a === 'object' && a !== null && /^image\//.test(a.mediaType) && /^[\w-]+$/.test(a.id));
    if (!images.length) return nothing;
    const who = m.author.displayName || m.author.username;
    return html`<div class="attachments">
      ${images.map((a, i) => {
        const { width, height } = thumbSize(a.width, a.height);
        const full = `/api/uploads/${a.id}`;
        const label = images.length > 1 ? `Image ${i + 1} of ${images.length} from ${who}` : `Image from ${who}`;
        return html`<a href=${full} target="_blank" rel="noopener noreferrer" title="View full size" data-testid="attachment" aria-label=${label}
          @click=${(e: MouseEvent) => this.viewImage(e, a, label)}><img src=${`${full}/thumbnail`}
          alt=${label} loading="lazy" width=${width} height=${height} /></a>`;
      })}
    </div>`;
  }

  private viewImage(e: MouseEvent, a: Attachment, label: string): void {
    // Modified clicks keep the link's own behaviour (a new tab).
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const size = a.width && a.height ? ` · ${a.width}×${a.height}` : '';
    requestLightbox(this, { src: `/api/uploads/${a.id}`, alt: label, width: a.width, height: a.height, caption: `${label}${size} · ${formatBytes(a.size)}` }, e.currentTarget as HTMLElement);
  }

  /** ✓ stored, ✓✓ delivered to everyone, blue ✓✓ read by everyone (when the server sends receipts). */
  private renderTicks(seq: number) {
    const marks = state.receipts.get(this.roomId);
    const receipt = marks && marks.readSeq >= seq ? 'read' : marks && marks.deliveredSeq >= seq ? 'delivered' : 'sent';
    const label = { sent: 'Sent', delivered: 'Delivered', read: 'Read' }[receipt];
    return html`<span class="status ticks ${receipt}" data-receipt=${receipt} role="img" aria-label=${label} title=${label}>${receipt === 'sent' ? '✓' : '✓✓'}</span>`;
  }

  private renderPending(p: PendingMessage): TemplateResult {
    const failed = p.status === 'failed';
    return html`<div class="msg mine first ${failed ? 'failed' : 'pending'}" data-testid="message" data-status=${p.status} data-local-id=${p.localId}>
      <div class="bubble">
        ${p.text.trim() ? html`<div class="text" data-testid="message-text">${linkify(p.text)}</div>` : nothing}
        ${p.attachments.length
          ? html`<div class="attachments">${p.attachments.map((a) => {
              const { width, height } = thumbSize(a.upload.width, a.upload.height);
              return html`<span class="shot"><img src=${a.preview ?? `/api/uploads/${a.upload.id}/thumbnail`} alt="Image being sent" width=${width} height=${height} /></span>`;
            })}</div>`
          : nothing}
        <div class="foot">
          ${failed
            ? html`<span class="status failed" role="alert">Not sent${p.error ? `: ${p.error}` : ''}</span>
                <button class="linkish" @click=${() => void state.send(p.roomId, p.text, p)}>Retry</button>
                <button class="linkish" @click=${() => state.discardPending(p)}>Discard</button>`
            : html`<time datetime=${p.createdAt}>${timeOf(p.createdAt)}</time><span class="status" title="Sending">Sending…</span>`}
        </div>
      </div>
    </div>`;
  }

  private autosize(): void {
    const t = this.composer;
    if (!t) return;
    t.style.height = 'auto';
    t.style.height = `${Math.min(t.scrollHeight + 2, window.innerHeight * 0.4)}px`;
    this.requestUpdate();
  }

  private onInput(): void {
    this.autosize();
    if (this.composer.value.trim()) state.notifyTyping(this.roomId);
  }

  private onComposerKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      this.send();
    } else if (e.key === 'ArrowUp' && !this.composer.value) {
      // Up in an empty composer edits your last message.
      const last = state
        .itemsOf(this.roomId)
        .filter((i): i is Extract<TimelineItem, { kind: 'message' }> => i.kind === 'message' && i.message.author.id === state.me?.id && !i.message.deletedAt)
        .pop();
      if (last) {
        e.preventDefault();
        this.startEdit(last.seq);
      }
    }
  }

  private submit(e: Event): void {
    e.preventDefault();
    this.send();
  }

  private send(): void {
    const roomId = this.roomId;
    const t = this.composer;
    const text = t.value;
    const images = this.images.get(roomId) ?? [];
    if (!text.trim() && !images.length) return;
    if (text.length > MAX_LEN) {
      state.toast(`Messages can be at most ${MAX_LEN} characters.`, 'error');
      return;
    }
    if (images.some((i) => i.status === 'failed')) {
      this.composeNote = 'An image could not be uploaded: remove it (or retry) before sending. Your text is kept.';
      return;
    }
    if (images.some((i) => i.status === 'uploading')) {
      // Sent as soon as the uploads finish; the text stays in the box until then.
      this.sendWhenReady.add(roomId);
      this.composeNote = 'Sending when the upload finishes…';
      return;
    }
    this.sendNow(roomId);
    t.focus();
  }

  /** Posts the room's draft: its text (from the box, or the saved draft when another room is open) and its uploads. */
  private sendNow(roomId: string): void {
    const images = this.images.get(roomId) ?? [];
    const current = roomId === this.roomId;
    const text = current ? this.composer.value : this.draft.get(roomId) ?? '';
    const attachments: PendingAttachment[] = images.filter((i) => i.upload).map((i) => ({ upload: i.upload!, preview: i.preview }));
    this.images.delete(roomId);
    this.sendWhenReady.delete(roomId);
    this.draft.delete(roomId);
    if (current) {
      this.composer.value = '';
      this.composeNote = '';
      this.autosize();
      this.stick = true;
    }
    void state.send(roomId, text, undefined, attachments);
    this.requestUpdate();
  }

  // ---- images for the next message --------------------------------------------------------------------------------

  private renderTray() {
    const images = this.images.get(this.roomId) ?? [];
    if (!images.length) return nothing;
    return html`<ul class="tray" aria-label="Images to send" data-testid="tray">
      ${repeat(images, (i) => i.key, (i) => {
        const name = nameOf(i.file);
        return html`<li class="chip ${i.status}" data-testid="draft-image" data-status=${i.status}>
          ${i.preview ? html`<img class="thumb" src=${i.preview} alt="" />` : html`<span class="thumb">${icon('attach')}</span>`}
          <div class="info">
            <span class="fname" title=${name}>${name}</span>
            ${i.status === 'uploading'
              ? html`<progress max="100" value=${Math.round(i.progress * 100)} aria-label=${`Uploading ${name}`}></progress>`
              : i.status === 'done'
                ? html`<span class="state">Ready · ${formatBytes(i.upload?.size ?? i.file.size)}</span>`
                : html`<span class="error-text" role="alert" data-testid="upload-error">${name} ${i.error}</span>`}
          </div>
          ${i.status === 'failed' && i.retryable
            ? html`<button class="icon-btn" type="button" aria-label=${`Retry ${name}`} title="Retry" @click=${() => this.startUpload(this.roomId, i)}>${icon('retry')}</button>`
            : nothing}
          <button class="icon-btn" type="button" aria-label=${`Remove ${name}`} title="Remove" @click=${() => this.removeImage(this.roomId, i)}>${icon('close')}</button>
        </li>`;
      })}
    </ul>`;
  }

  private onFilesChosen(e: Event): void {
    const input = e.target as HTMLInputElement;
    this.addFiles([...(input.files ?? [])]);
    input.value = '';
    this.composer?.focus();
  }

  private onPaste(e: ClipboardEvent): void {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length) return;
    e.preventDefault();
    this.addFiles(files);
  }

  private readonly onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
    // No reliable dragleave across shadow roots: the overlay goes when dragover stops coming.
    clearTimeout(this.dragTimer);
    this.dragTimer = setTimeout(() => (this.dragging = false), 200);
  };

  private readonly onDrop = (e: DragEvent) => {
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    clearTimeout(this.dragTimer);
    this.dragging = false;
    this.addFiles([...e.dataTransfer.files]);
  };

  override connectedCallback(): void {
    super.connectedCallback();
    // Anywhere on the page: a file dropped beside the room must not replace the app with the image.
    window.addEventListener('dragover', this.onDragOver);
    window.addEventListener('drop', this.onDrop);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('dragover', this.onDragOver);
    window.removeEventListener('drop', this.onDrop);
  }

  /** Adds chosen, pasted or dropped files to the next message and starts uploading them at once. */
  addFiles(files: File[]): void {
    const roomId = this.roomId;
    if (!roomId || !files.length) return;
    const list = this.images.get(roomId) ?? [];
    this.images.set(roomId, list);
    let skipped = 0;
    this.composeNote = '';
    for (const file of files) {
      if (list.length >= MAX_IMAGES) {
        skipped++;
        continue;
      }
      const item: DraftImage = { key: nextDraftKey++, file, preview: null, status: 'uploading', progress: 0 };
      list.push(item);
      if (file.type && !IMAGE_TYPES.includes(file.type)) {
        item.status = 'failed';
        item.error = file.type.startsWith('image/') ? 'is not a supported image. Share a PNG, JPEG, GIF or WebP image.' : 'is not an image. Share a PNG, JPEG, GIF or WebP image.';
        continue;
      }
      item.preview = URL.createObjectURL(file);
      this.startUpload(roomId, item);
    }
    if (skipped) this.composeNote = `A message can carry at most ${MAX_IMAGES} images; ${skipped === 1 ? 'one was' : `${skipped} were`} left out.`;
    this.requestUpdate();
  }

  private startUpload(roomId: string, item: DraftImage): void {
    item.status = 'uploading';
    item.progress = 0;
    item.error = undefined;
    if (this.composeNote && !this.sendWhenReady.has(roomId)) this.composeNote = '';
    const handle = uploadFile<{ upload: Attachment }>(`/api/rooms/${roomId}/uploads`, item.file, nameOf(item.file), (fraction) => {
      item.progress = fraction;
      this.requestUpdate();
    });
    item.handle = handle;
    handle.done.then(
      ({ upload }) => {
        if (item.handle !== handle) return;
        item.status = 'done';
        item.upload = upload;
        this.uploadSettled(roomId);
      },
      (err) => {
        if (item.handle !== handle || (err instanceof ApiError && err.code === 'ABORTED')) return;
        item.status = 'failed';
        item.error = uploadProblem(err);
        item.retryable = !(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429;
        this.uploadSettled(roomId);
      },
    );
    this.requestUpdate();
  }

  /** An upload ended: a message waiting for it goes now, or (when one failed) stays with its text for the user. */
  private uploadSettled(roomId: string): void {
    const list = this.images.get(roomId) ?? [];
    if (this.sendWhenReady.has(roomId) && !list.some((i) => i.status === 'uploading')) {
      if (list.some((i) => i.status === 'failed')) {
        this.sendWhenReady.delete(roomId);
        if (roomId === this.roomId) this.composeNote = 'Not sent: an image could not be uploaded. Remove it (or retry), then send again. Your text is kept.';
      } else {
        this.sendNow(roomId);
      }
    }
    this.requestUpdate();
  }

  private removeImage(roomId: string, item: DraftImage): void {
    const list = this.images.get(roomId) ?? [];
    const handle = item.handle;
    item.handle = undefined;
    handle?.abort();
    if (item.preview) URL.revokeObjectURL(item.preview);
    const rest = list.filter((i) => i !== item);
    if (rest.length) this.images.set(roomId, rest);
    else this.images.delete(roomId);
    if (!rest.some((i) => i.status === 'failed') && !this.sendWhenReady.has(roomId)) this.composeNote = '';
    this.uploadSettled(roomId);
    this.composer?.focus();
  }

  private async startEdit(seq: number): Promise<void> {
    this.editing = seq;
    await this.updateComplete;
    const ta = this.renderRoot.querySelector<HTMLTextAreaElement>(`#edit-${seq}`);
    ta?.focus();
    ta?.setSelectionRange(ta.value.length, ta.value.length);
  }

  private cancelEdit(): void {
    this.editing = null;
    this.composer?.focus();
  }

  private onEditKey(e: KeyboardEvent, m: Message): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.cancelEdit();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.commitEdit(m, (e.target as HTMLTextAreaElement).value);
    }
  }

  private saveEdit(e: Event, m: Message): void {
    e.preventDefault();
    const ta = (e.target as HTMLFormElement).querySelector('textarea')!;
    void this.commitEdit(m, ta.value);
  }

  private async commitEdit(m: Message, text: string): Promise<void> {
    if (!text.trim()) return;
    if (text === m.text) return this.cancelEdit();
    try {
      await state.editMessage(this.roomId, m.seq, text);
      this.cancelEdit();
    } catch (err) {
      state.toast(`Could not edit: ${errorText(err)}`, 'error');
    }
  }

  private async removeMessage(m: Message): Promise<void> {
    const ok = await requestConfirm(this, { title: 'Delete message?', body: 'Everyone in the room will see that it was deleted.', confirm: 'Delete' });
    if (!ok) return;
    try {
      await state.deleteMessage(this.roomId, m.seq);
    } catch (err) {
      state.toast(`Could not delete: ${errorText(err)}`, 'error');
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-room-view': ParleyRoomView;
  }
}
