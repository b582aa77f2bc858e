import { consume } from '@lit/context';
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { MAX_ATTACHMENTS, MESSAGE_MAX_CHARS } from '../../../server/limits.js';
import { IMAGE_TYPES } from '../../../server/store/store.js';
import { Uploads, type DraftImage } from '../controllers/uploads.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { quoteOf } from '../state/replies.js';
import { base, icon } from '../styles.js';
import type { Message } from '../types.js';
import { mentionAt, mentionChoices, type MentionChoice } from '../controllers/mention-query.js';
import './parley-attachment-tray.js';
import './parley-mention-picker.js';

/**
 * Writing the next message of a room: the text box (Enter sends, Shift+Enter a new line, Up in an empty box edits
 * my last message: it fires `edit-last`), images to attach (picked, pasted or handed over with `addFiles`) in a tray
 * while they upload, and the draft of each room kept while another room is open.
 */
@customElement('parley-composer')
export class ParleyComposer extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() roomId = '';
  @property() roomName = 'this room';
  /** A thread panel's composer: every message replies in this root's thread (to the root unless `setReply` says). */
  @property({ attribute: false }) threadRoot: Message | null = null;
  /** The message the next one replies to (shown above the box; Esc or × cancels). */
  @internal() private replyingTo: Message | null = null;
  @internal() private note = '';
  /** The `@name` typed at the caret and the members it matches (the mention picker), and the one highlighted. */
  @internal() private mention: { start: number; choices: MentionChoice[] } | null = null;
  @internal() private mentionActive = 0;
  /** Where Esc closed the picker: it stays closed for that `@` until the caret leaves it. */
  private dismissedAt = -1;
  @query('textarea.compose') private box!: HTMLTextAreaElement;
  @query('input.file') private fileInput!: HTMLInputElement;
  private readonly drafts = new Map<string, string>();
  private readonly uploads = new Uploads(this, (roomId) => this.uploadsEnded(roomId));

  static override styles = [
    base,
    css`
      :host { display: block; position: relative; }
      .compose-note { padding: 0.35rem 0.75rem 0; font-size: 0.82rem; color: var(--muted); background: var(--surface); }
      .compose-note.error { color: var(--danger); font-weight: 600; }
      .attach { width: 44px; height: 44px; flex: none; color: var(--muted); }
      form.composer { display: flex; gap: 0.5rem; align-items: flex-end; padding: 0.6rem 0.75rem calc(0.6rem + env(safe-area-inset-bottom)); border-top: 1px solid var(--border); background: var(--surface); }
      .compose-wrap { flex: 1; min-width: 0; }
      textarea.compose { resize: none; max-height: 40vh; min-height: 44px; line-height: 1.4; border-radius: 14px; display: block; }
      .counter { font-size: 0.75rem; color: var(--muted); text-align: right; }
      .counter.over { color: var(--danger); }
      .send { width: 44px; height: 44px; border-radius: 12px; background: var(--accent); color: #fff; border: none; display: grid; place-items: center; flex: none; }
      .send:hover:not(:disabled) { background: var(--accent-strong); }
      .send svg { width: 20px; height: 20px; }
      .replying { display: flex; align-items: center; gap: 0.5rem; padding: 0.4rem 0.75rem 0; background: var(--surface); font-size: 0.82rem; }
      .replying span { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
      .replying strong { color: var(--accent-strong); }
      .replying .icon-btn { width: 28px; height: 28px; flex: none; }
      .replying .icon-btn svg { width: 14px; height: 14px; }
    `,
  ];

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('roomId')) {
      const old = changed.get('roomId') as string | undefined;
      if (old && this.box) this.drafts.set(old, this.box.value);
      this.note = '';
      this.replyingTo = null;
    }
  }

  /** The next message replies to `m` (null: not a reply, or in a thread panel, to its root); focuses the box. */
  setReply(m: Message | null): void {
    this.replyingTo = m;
    this.box?.focus();
  }

  /** What the next message replies to and in which thread, or null. */
  private replyTarget(): { replyTo: ReturnType<typeof quoteOf>; threadSeq: number } | null {
    const target = this.replyingTo ?? this.threadRoot;
    return target ? { replyTo: quoteOf(target), threadSeq: target.threadSeq ?? target.seq } : null;
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('roomId') && this.box) {
      this.box.value = this.drafts.get(this.roomId) ?? '';
      this.autosize();
    }
  }

  override focus(): void {
    this.box?.focus();
  }

  /** Adds chosen, pasted or dropped files to the next message and starts uploading them at once. */
  addFiles(files: File[]): void {
    if (!this.roomId || !files.length) return;
    this.note = '';
    const skipped = this.uploads.add(this.roomId, files);
    if (skipped)
      this.note = `A message can carry at most ${MAX_ATTACHMENTS} images; ${skipped === 1 ? 'one was' : `${skipped} were`} left out.`;
  }

  private autosize(): void {
    const t = this.box;
    if (!t) return;
    t.style.height = 'auto';
    t.style.height = `${Math.min(t.scrollHeight + 2, window.innerHeight * 0.4)}px`;
    this.requestUpdate();
  }

  private onInput(): void {
    this.autosize();
    this.updateMention();
    if (this.box.value.trim()) this.client.typing.notify(this.roomId);
  }

  /** Opens, filters or closes the mention picker for the `@name` at the caret. */
  private updateMention(): void {
    const box = this.box;
    const at = box && box.selectionStart === box.selectionEnd ? mentionAt(box.value, box.selectionStart) : null;
    if (!at || at.start === this.dismissedAt) {
      if (!at) this.dismissedAt = -1;
      this.mention = null;
      return;
    }
    if (!this.client.members.has(this.roomId)) {
      void this.client.members.load(this.roomId).then(() => this.updateMention());
    }
    let members = this.client.members.of(this.roomId) ?? [];
    if (at.query && this.client.members.has(this.roomId) && !this.client.members.complete(this.roomId)) {
      // A big room's list is read only in part: the server finds the others by name.
      const roomId = this.roomId;
      const found = this.client.members.searched(roomId, at.query);
      if (found) {
        const shown = new Set(members.map((m) => m.userId));
        members = [...members, ...found.filter((m) => !shown.has(m.userId))];
      } else
        void this.client.members.search(roomId, at.query).then(
          () => this.roomId === roomId && this.updateMention(),
          () => undefined,
        );
    }
    const me = this.client.session.me?.username ?? null;
    const choices = mentionChoices(
      members.map((m) => ({ username: m.user.username, displayName: m.user.displayName })),
      at.query,
      me,
    );
    if (this.mention?.start !== at.start) this.mentionActive = 0;
    this.mentionActive = Math.min(this.mentionActive, Math.max(choices.length - 1, 0));
    this.mention = choices.length ? { start: at.start, choices } : null;
  }

  private caretMoved(e: KeyboardEvent): void {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') this.updateMention();
  }

  /** Replaces the typed `@que` with `@username ` and closes the picker. */
  private chooseMention(choice: MentionChoice): void {
    const box = this.box;
    const start = this.mention?.start ?? -1;
    if (start < 0) return;
    const caret = box.selectionStart;
    const insert = `@${choice.name} `;
    box.setRangeText(insert, start, caret, 'end');
    this.mention = null;
    box.focus();
    this.autosize();
  }

  /** Keys for the open mention picker; true when the key was its. */
  private mentionKey(e: KeyboardEvent): boolean {
    const open = this.mention;
    if (!open || e.isComposing) return false;
    const n = open.choices.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      this.mentionActive = (this.mentionActive + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) {
      this.chooseMention(open.choices[this.mentionActive]!);
    } else if (e.key === 'Escape') {
      this.dismissedAt = open.start;
      this.mention = null;
    } else return false;
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  private onKey(e: KeyboardEvent): void {
    if (this.mentionKey(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      this.send();
    } else if (e.key === 'Escape' && this.replyingTo) {
      e.preventDefault();
      e.stopPropagation();
      this.replyingTo = null;
    } else if (e.key === 'ArrowUp' && !this.box.value && !this.threadRoot) {
      const event = new CustomEvent('edit-last', { bubbles: true, composed: true, cancelable: true });
      this.dispatchEvent(event);
      if (event.defaultPrevented) e.preventDefault();
    }
  }

  private submit(e: Event): void {
    e.preventDefault();
    this.send();
  }

  private send(): void {
    const roomId = this.roomId;
    const text = this.box.value;
    const images = this.uploads.of(roomId);
    if (!text.trim() && !images.length) return;
    if (text.length > MESSAGE_MAX_CHARS) {
      this.client.notices.toast(`Messages can be at most ${MESSAGE_MAX_CHARS} characters.`, 'error');
      return;
    }
    if (this.uploads.failed(roomId)) {
      this.note = 'An image could not be uploaded: remove it (or retry) before sending. Your text is kept.';
      return;
    }
    if (this.uploads.uploading(roomId)) {
      // Sent as soon as the uploads finish; the text stays in the box until then.
      this.uploads.waitThenSend(roomId);
      this.note = 'Sending when the upload finishes…';
      return;
    }
    this.sendNow(roomId);
    this.box.focus();
  }

  /** Posts the room's draft: its text (from the box, or the saved draft when another room is open) and its uploads. */
  private sendNow(roomId: string): void {
    const current = roomId === this.roomId;
    const text = current ? this.box.value : (this.drafts.get(roomId) ?? '');
    const attachments = this.uploads.take(roomId);
    const reply = current ? this.replyTarget() : null;
    this.drafts.delete(roomId);
    if (current) {
      this.box.value = '';
      this.note = '';
      this.replyingTo = null;
      this.autosize();
    }
    void this.client.outbox.send(roomId, text, attachments, reply);
  }

  /** The uploads of a message that waited for them ended: it goes, or stays with its text when one failed. */
  private uploadsEnded(roomId: string): void {
    if (!this.uploads.failed(roomId)) this.sendNow(roomId);
    else if (roomId === this.roomId)
      this.note = 'Not sent: an image could not be uploaded. Remove it (or retry), then send again. Your text is kept.';
  }

  private retryImage(item: DraftImage): void {
    if (this.note && !this.uploads.isWaiting(this.roomId)) this.note = '';
    this.uploads.start(this.roomId, item);
  }

  private removeImage(item: DraftImage): void {
    this.uploads.remove(this.roomId, item);
    if (!this.uploads.failed(this.roomId) && !this.uploads.isWaiting(this.roomId)) this.note = '';
    this.box?.focus();
  }

  private onFilesChosen(e: Event): void {
    const input = e.target as HTMLInputElement;
    this.addFiles([...(input.files ?? [])]);
    input.value = '';
    this.box?.focus();
  }

  private onPaste(e: ClipboardEvent): void {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length) return;
    e.preventDefault();
    this.addFiles(files);
  }

  override render() {
    const name = this.roomName;
    const waiting = this.uploads.isWaiting(this.roomId);
    const length = this.box?.value.length ?? 0;
    const placeholder = this.threadRoot ? 'Reply in thread' : `Message ${name}`;
    const to = this.replyingTo;
    return html`
      ${
        this.mention
          ? html`<parley-mention-picker .choices=${this.mention.choices} .active=${this.mentionActive}
              @choose=${(e: CustomEvent<MentionChoice>) => this.chooseMention(e.detail)}></parley-mention-picker>`
          : nothing
      }
      ${
        to
          ? html`<div class="replying" data-testid="replying-to"><span>Replying to <strong>${to.author.displayName}</strong>:
              ${quoteOf(to).excerpt || 'Image'}</span><button type="button" class="icon-btn" aria-label="Cancel reply"
              title="Cancel reply (Esc)" @click=${() => this.setReply(null)}>${icon('close')}</button></div>`
          : nothing
      }
      <parley-attachment-tray .images=${[...this.uploads.of(this.roomId)]} @retry-image=${(e: CustomEvent<DraftImage>) => this.retryImage(e.detail)}
        @remove-image=${(e: CustomEvent<DraftImage>) => this.removeImage(e.detail)}></parley-attachment-tray>
      ${
        this.note
          ? html`<div class="compose-note ${waiting ? '' : 'error'}" role=${waiting ? 'status' : 'alert'} data-testid="compose-note">${this.note}</div>`
          : nothing
      }
      <form class="composer" @submit=${this.submit}>
        <input class="file" type="file" accept=${IMAGE_TYPES.join(',')} multiple hidden aria-label="Attach images" data-testid="file-input"
          @change=${this.onFilesChosen} />
        <button class="icon-btn attach" type="button" aria-label="Attach images" title="Attach images (or paste, or drop them here)"
          @click=${() => this.fileInput.click()}>${icon('attach')}</button>
        <div class="compose-wrap">
          <label class="sr-only" for="compose">${placeholder}</label>
          <textarea id="compose" class="compose" rows="1" placeholder=${placeholder} maxlength=${MESSAGE_MAX_CHARS + 1000}
            enterkeyhint="send" @keydown=${this.onKey} @input=${this.onInput} @paste=${this.onPaste}
            @click=${this.updateMention} @keyup=${this.caretMoved} @blur=${() => (this.mention = null)}
            role="combobox" aria-autocomplete="list" aria-expanded=${this.mention ? 'true' : 'false'} aria-describedby="compose-hint"></textarea>
          <span id="compose-hint" class="sr-only">Enter sends; Shift+Enter starts a new line.</span>
          ${
            length > MESSAGE_MAX_CHARS - 500
              ? html`<div class="counter ${length > MESSAGE_MAX_CHARS ? 'over' : ''}">${length} / ${MESSAGE_MAX_CHARS}</div>`
              : nothing
          }
        </div>
        <button class="send" type="submit" aria-label="Send message" title="Send (Enter)">${icon('send')}</button>
      </form>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-composer': ParleyComposer;
  }
  interface HTMLElementEventMap {
    'edit-last': CustomEvent<void>;
  }
}
