import { consume } from '@lit/context';
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { errorText } from '../api.js';
import { avatarSvg } from '../avatars.js';
import { formatBytes, fullTime, timeOf } from '../format.js';
import { messageUrl } from '../links.js';
import type { MentionMarks } from '../markdown-mentions.js';
import { renderMarkdown } from '../markdown.js';
import { mentionMarks, mentionsMe } from '../mention-marks.js';
import { Watch } from '../state/watch.js';
import { markdownStyles } from '../markdown-styles.js';
import { requestConfirm, requestEmoji, requestLightbox } from '../overlays.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import type { PinEntry } from '../state/pins.js';
import type { PendingMessage } from '../state/timeline.js';
import './parley-reactions.js';
import { base, icon } from '../styles.js';
import type { Attachment, Message } from '../types.js';
import { fire, renderQuote, renderThreadLink, replyStyles } from './reply-parts.js';

/** Thumbnails in the timeline fit this box (the server's thumbnails fit 320x320). */
const THUMB_BOX = 240;

/** The displayed size of a thumbnail: the image's aspect, fitted in THUMB_BOX (reserves the space before it loads). */
function thumbSize(w: number, h: number): { width: number; height: number } {
  const width = w > 0 ? w : THUMB_BOX;
  const height = h > 0 ? h : THUMB_BOX;
  const scale = Math.min(1, THUMB_BOX / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export type Receipt = 'sent' | 'delivered' | 'read';

/**
 * A message's text as formatted Markdown. unsafeHTML is safe here and only here: renderMarkdown's output has raw HTML
 * disabled (the source's tags arrive escaped, as text) and every link checked (http, https, mailto); see markdown.ts.
 */
function formatted(text: string, mentions?: MentionMarks) {
  return html`<div class="text md" data-testid="message-text">${unsafeHTML(renderMarkdown(text, mentions))}</div>`;
}

/**
 * One message of a timeline: a stored one (with its author, images, receipt ticks, and Edit / Delete for those
 * allowed) or one of mine on its way (Sending…, or Not sent with Retry and Discard). Editing happens in place;
 * the timeline says which message is being edited (`editing`), and the message fires `edit-start` (detail: its
 * seq) and `edit-end`.
 */
@customElement('parley-message')
export class ParleyMessage extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property({ attribute: false }) message: Message | null = null;
  @property({ attribute: false }) pending: PendingMessage | null = null;
  /** The first of a run by one author (shows the avatar and name). */
  @property({ type: Boolean }) first = false;
  @property({ type: Boolean }) mine = false;
  @property({ type: Boolean }) canEdit = false;
  @property({ type: Boolean }) canDelete = false;
  @property({ type: Boolean }) editing = false;
  /** The message a link pointed at, just scrolled into view. */
  @property({ type: Boolean }) highlight = false;
  /** Reactions: whether I may react (members), who people are (for "who reacted"). */
  @property({ type: Boolean }) canReact = false;
  @property({ attribute: false }) nameOf: (id: string) => string | undefined = () => undefined;
  /** The message's pin, if pinned; whether I may pin and unpin (policy.mayPin). */
  @property({ attribute: false }) pin: PinEntry | null = null;
  @property({ type: Boolean }) canPin = false;
  @property() receipt: Receipt = 'sent';
  /** Offers Reply (members, stored messages). */
  @property({ type: Boolean }) canReply = false;
  /** In a thread panel: no "N replies" link, and no quote of the panel's root (`rootSeq`). */
  @property({ type: Number }) rootSeq = 0;
  /** The usernames of the members this message mentions, as the room's members list knows them (for highlighting). */
  private readonly mentionedNames = new Watch(
    this,
    () => this.client?.members.store,
    (s) => {
      const m = this.message;
      const list = m?.mentions?.length ? s.byRoom.get(m.roomId) : undefined;
      return (m?.mentions ?? []).map((id) => list?.find((x) => x.userId === id)?.user.username ?? '');
    },
  );

  static override styles = [
    base,
    markdownStyles,
    replyStyles,
    css`
      :host { display: block; }
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
      .mentions-me .bubble { background: #fffbeb; border-color: #f59e0b; box-shadow: inset 3px 0 0 #f59e0b; }
      .msg:not(.first).theirs .bubble { border-top-left-radius: 16px; border-bottom-left-radius: 6px; }
      .msg:not(.first).mine .bubble { border-top-right-radius: 16px; border-bottom-right-radius: 6px; }
      .meta { display: flex; gap: 0.5rem; align-items: baseline; font-size: 0.82rem; margin-bottom: 0.1rem; }
      .meta strong { color: #166534; }
      .meta .handle { color: var(--muted); font-size: 0.75rem; }
      .foot { display: flex; justify-content: flex-end; gap: 0.35rem; font-size: 0.72rem; color: var(--muted); margin-top: 0.1rem; }
      .attachments { display: flex; flex-wrap: wrap; gap: 0.35rem; margin: 0.3rem 0 0.1rem; }
      .attachments a, .attachments .shot { display: block; border-radius: 10px; max-width: 100%; line-height: 0; }
      .attachments a:focus-visible { outline-offset: 2px; }
      .attachments img { display: block; border-radius: 10px; max-width: 100%; height: auto; background: #e2e8f0; cursor: zoom-in; }
      .pending .attachments img { cursor: default; }
      .deleted .text { font-style: italic; color: var(--muted); }
      .status.failed { color: var(--danger); font-weight: 600; }
      .ticks { letter-spacing: -0.25em; padding-right: 0.25em; font-weight: 700; }
      .ticks.read { color: #2563eb; }
      .pending .bubble { opacity: 0.75; }
      .failed .bubble { border-color: #fca5a5; }
      .msg.highlight .bubble { box-shadow: 0 0 0 3px var(--focus), 0 0 0 8px rgba(245, 158, 11, 0.25); }
      .bubble { transition: box-shadow 0.6s; }
      .actions { display: flex; gap: 0.15rem; opacity: 0; transition: opacity 0.1s; align-self: center; }
      .msg:hover .actions, .msg:focus-within .actions { opacity: 1; }
      @media (hover: none) { .actions { opacity: 0.8; } }
      .actions .icon-btn { width: 32px; height: 32px; color: var(--muted); }
      .actions .icon-btn svg { width: 16px; height: 16px; }
      .linkish { background: none; border: none; padding: 0; color: var(--accent-strong); text-decoration: underline; font-size: inherit; font-weight: 600; }
      .pinned-mark { font-size: 0.72rem; color: #b45309; font-weight: 600; display: flex; align-items: center; gap: 0.2rem; margin-bottom: 0.1rem; }
      .pinned-mark svg { width: 12px; height: 12px; }
      .msg.is-pinned .bubble { box-shadow: inset 3px 0 0 #f59e0b; }
      .edit textarea { min-height: 60px; resize: vertical; background: #fff; }
      .edit .row { display: flex; gap: 0.4rem; justify-content: flex-end; margin: 0.35rem 0 0.2rem; align-items: center; }
      .edit .row .hint { margin-right: auto; font-size: 0.75rem; color: var(--muted); }
      @media (max-width: 719px) {
        .msg.theirs { padding-right: 4%; }
        .msg.mine { padding-left: 4%; }
        .gutter { width: 30px; }
      }
    `,
  ];

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('editing') && this.editing) {
      const ta = this.renderRoot.querySelector<HTMLTextAreaElement>('.edit textarea');
      ta?.focus();
      ta?.setSelectionRange(ta.value.length, ta.value.length);
    }
  }

  private emit(name: 'edit-start' | 'edit-end'): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail: this.message?.seq }));
  }

  private onEditKey(e: KeyboardEvent, m: Message): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.emit('edit-end');
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
    if (text === m.text) return this.emit('edit-end');
    try {
      await this.client.timelines.edit(m.roomId, m.seq, text);
      this.emit('edit-end');
    } catch (err) {
      this.client.notices.toast(`Could not edit: ${errorText(err)}`, 'error');
    }
  }

  private async react(m: Message, emoji: string, on: boolean): Promise<void> {
    try {
      await this.client.timelines.react(m.roomId, m.seq, emoji, on);
    } catch (err) {
      this.client.notices.toast(`Could not react: ${errorText(err)}`, 'error');
    }
  }

  private async pickReaction(m: Message): Promise<void> {
    const emoji = await requestEmoji(this);
    if (!emoji) return;
    const existing = m.reactions?.find((r) => r.emoji === emoji);
    if (!existing?.me) await this.react(m, emoji, true);
  }

  private async togglePin(m: Message, on: boolean): Promise<void> {
    try {
      await this.client.pins.pin(m.roomId, m.seq, on);
    } catch (err) {
      this.client.notices.toast(`Could not ${on ? 'pin' : 'unpin'}: ${errorText(err)}`, 'error');
    }
  }

  private async deleteMessage(m: Message): Promise<void> {
    const ok = await requestConfirm(this, {
      title: 'Delete message?',
      body: 'Everyone in the room will see that it was deleted.',
      confirm: 'Delete',
    });
    if (!ok) return;
    try {
      await this.client.timelines.remove(m.roomId, m.seq);
    } catch (err) {
      this.client.notices.toast(`Could not delete: ${errorText(err)}`, 'error');
    }
  }

  /** Copies the message's address (`/rooms/<roomId>/<seq>`): opening it scrolls to the message. */
  private async copyLink(m: Message): Promise<void> {
    const url = messageUrl(m.roomId, m.seq);
    try {
      await navigator.clipboard.writeText(url);
      this.client.notices.toast('Link to the message copied', 'info');
    } catch {
      this.client.notices.toast(`Copy this link: ${url}`, 'info');
    }
  }

  private viewImage(e: MouseEvent, a: Attachment, label: string): void {
    // Modified clicks keep the link's own behaviour (a new tab).
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const size = a.width && a.height ? ` · ${a.width}×${a.height}` : '';
    const caption = `${label}${size} · ${formatBytes(a.size)}`;
    requestLightbox(
      this,
      { src: `/api/uploads/${a.id}`, alt: label, width: a.width, height: a.height, caption },
      e.currentTarget as HTMLElement,
    );
  }

  override render() {
    if (this.pending) return this.renderPending(this.pending);
    return this.message ? this.renderMessage(this.message) : nothing;
  }

  private renderMessage(m: Message) {
    const { mine, first } = this;
    const deleted = m.deletedAt !== null || (m.text === null && m.attachments.length === 0);
    const canDelete = !deleted && this.canDelete;
    const canEdit = !deleted && this.canEdit;
    const editing = this.editing;
    const showHeader = !mine && first;
    const highlight = this.highlight ? 'highlight' : '';
    const pin = deleted ? null : this.pin;
    const me = this.client?.session.me ?? null;
    const names = this.mentionedNames.value;
    const marks = mentionMarks(m, me, (id) => names[(m.mentions ?? []).indexOf(id)] || undefined);
    const forMe = mentionsMe(m, me?.id ?? null) ? 'mentions-me' : '';
    return html`<div class="msg ${mine ? 'mine' : 'theirs'} ${first ? 'first' : ''} ${deleted ? 'deleted' : ''} ${highlight} ${pin ? 'is-pinned' : ''} ${forMe}"
        data-testid="message" data-seq=${m.seq} data-highlight=${this.highlight ? 'true' : nothing} data-status="sent"
        data-author=${m.author.username} ?data-pinned=${!!pin}>
      ${mine ? nothing : html`<div class="gutter">${showHeader ? avatarSvg(m.author, 36) : nothing}</div>`}
      <div class="bubble">
        ${
          pin
            ? html`<div class="pinned-mark" data-testid="pin-marker" title=${`Pinned by ${pin.by.displayName} · ${fullTime(pin.at)}`}>${icon('pin')} Pinned</div>`
            : nothing
        }
        ${
          showHeader
            ? html`<div class="meta"><strong>${m.author.displayName}</strong><span class="handle">@${m.author.username}</span><time
              datetime=${m.createdAt} title=${fullTime(m.createdAt)}>${timeOf(m.createdAt)}</time></div>`
            : nothing
        }
        ${
          editing
            ? html`<form class="edit" @submit=${(e: Event) => this.saveEdit(e, m)}>
              <label class="sr-only" for=${`edit-${m.seq}`}>Edit message</label>
              <textarea id=${`edit-${m.seq}`} .value=${m.text ?? ''} @keydown=${(e: KeyboardEvent) => this.onEditKey(e, m)}></textarea>
              <div class="row"><span class="hint">Enter to save · Esc to cancel</span>
                <button type="button" class="btn small" @click=${() => this.emit('edit-end')}>Cancel</button>
                <button type="submit" class="btn small primary">Save</button></div>
            </form>`
            : html`${m.replyTo && m.replyTo.seq !== this.rootSeq ? renderQuote(this, m.replyTo) : nothing}
              ${deleted ? html`<div class="text" data-testid="message-text">This message was deleted.</div>` : m.text ? formatted(m.text, marks) : nothing}
              ${deleted ? nothing : this.renderAttachments(m)}`
        }
        <div class="foot">
          ${m.editedAt && !deleted ? html`<span class="edited" title=${`Edited ${fullTime(m.editedAt)}`}>edited</span>` : nothing}
          ${showHeader ? nothing : html`<time datetime=${m.createdAt} title=${fullTime(m.createdAt)}>${timeOf(m.createdAt)}</time>`}
          ${mine && !deleted ? this.renderTicks() : nothing}
        </div>
        ${
          deleted
            ? nothing
            : html`<parley-reactions .reactions=${m.reactions ?? []} .nameOf=${this.nameOf} ?canReact=${this.canReact}
              @react=${(e: CustomEvent<{ emoji: string; on: boolean }>) => void this.react(m, e.detail.emoji, e.detail.on)}
              @react-pick=${() => void this.pickReaction(m)}></parley-reactions>`
        }
        ${this.rootSeq ? nothing : renderThreadLink(this, m)}
      </div>
      ${
        !editing
          ? html`<div class="actions">
            ${this.canReply && !deleted ? html`<button class="icon-btn" aria-label="Reply" title="Reply" @click=${() => fire(this, 'reply-to', m)}>${icon('reply')}</button>` : nothing}
            ${this.canReact && !deleted ? html`<button class="icon-btn" aria-label="Add a reaction" title="React" data-testid="react-button" @click=${() => this.pickReaction(m)}>${icon('smile')}</button>` : nothing}
            ${this.canPin && !deleted ? html`<button class="icon-btn" aria-label=${pin ? 'Unpin message' : 'Pin message'} title=${pin ? 'Unpin' : 'Pin'} data-testid="pin-button" @click=${() => this.togglePin(m, !pin)}>${icon('pin')}</button>` : nothing}
            <button class="icon-btn" aria-label="Copy link to message" title="Copy link" @click=${() => this.copyLink(m)}>${icon('link')}</button>
            ${canEdit ? html`<button class="icon-btn" aria-label="Edit message" title="Edit" @click=${() => this.emit('edit-start')}>${icon('edit')}</button>` : nothing}
            ${canDelete ? html`<button class="icon-btn" aria-label="Delete message" title="Delete" @click=${() => this.deleteMessage(m)}>${icon('trash')}</button>` : nothing}
          </div>`
          : nothing
      }
    </div>`;
  }

  /** Image attachments as thumbnails (space reserved from their size); a click shows the full image in a lightbox. */
  private renderAttachments(m: Message) {
    const images = m.attachments.filter((a) => /^image\//.test(a.mediaType) && /^[\w-]+$/.test(a.id));
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

  /** ✓ stored, ✓✓ delivered to everyone, blue ✓✓ read by everyone. */
  private renderTicks() {
    const receipt = this.receipt;
    const label = { sent: 'Sent', delivered: 'Delivered', read: 'Read' }[receipt];
    return html`<span class="status ticks ${receipt}" data-receipt=${receipt} role="img" aria-label=${label} title=${label}>${receipt === 'sent' ? '✓' : '✓✓'}</span>`;
  }

  private renderPending(p: PendingMessage) {
    const failed = p.status === 'failed';
    return html`<div class="msg mine first ${failed ? 'failed' : 'pending'}" data-testid="message" data-status=${p.status} data-local-id=${p.localId}>
      <div class="bubble">
        ${p.replyTo && p.replyTo.seq !== this.rootSeq ? renderQuote(this, p.replyTo, true) : nothing}
        ${p.text.trim() ? formatted(p.text) : nothing}
        ${
          p.attachments.length
            ? html`<div class="attachments">${p.attachments.map((a) => {
                const { width, height } = thumbSize(a.upload.width, a.upload.height);
                return html`<span class="shot"><img src=${a.preview ?? `/api/uploads/${a.upload.id}/thumbnail`} alt="Image being sent" width=${width} height=${height} /></span>`;
              })}</div>`
            : nothing
        }
        <div class="foot">
          ${
            failed
              ? html`<span class="status failed" role="alert">Not sent${p.error ? `: ${p.error}` : ''}</span>
                <button class="linkish" @click=${() => void this.client.outbox.retry(p)}>Retry</button>
                <button class="linkish" @click=${() => this.client.outbox.discard(p)}>Discard</button>`
              : html`<time datetime=${p.createdAt}>${timeOf(p.createdAt)}</time><span class="status" title="Sending">Sending…</span>`
          }
        </div>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-message': ParleyMessage;
  }
  interface HTMLElementEventMap {
    'edit-start': CustomEvent<number>;
    'edit-end': CustomEvent<number>;
  }
}
