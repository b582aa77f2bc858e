import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { customElement, query, state as internal } from 'lit/decorators.js';
import { SEARCH_MAX_CHARS } from '../../../server/search/query.js';
import { api, errorText } from '../api.js';
import { fullTime } from '../format.js';
import { messagePath } from '../links.js';
import { navigate } from '../router.js';
import { base, icon } from '../styles.js';
import type { Message, RoomKind } from '../types.js';

/** One hit of GET /api/search. */
export interface SearchHit {
  message: Message;
  room: { id: string; name: string; kind: RoomKind };
  snippet: { text: string; matches: Array<{ start: number; end: number }> };
}
interface SearchPage {
  results: SearchHit[];
  nextCursor: string | null;
}

const DEBOUNCE_MS = 200;

/** Snippet text with its match ranges as <mark>s: text parts stay text (Lit escapes them), no HTML is parsed. */
export function markedSnippet(s: SearchHit['snippet']): Array<string | TemplateResult> {
  const out: Array<string | TemplateResult> = [];
  let at = 0;
  for (const m of s.matches) {
    if (m.start < at || m.end > s.text.length) continue;
    out.push(s.text.slice(at, m.start), html`<mark>${s.text.slice(m.start, m.end)}</mark>`);
    at = m.end;
  }
  out.push(s.text.slice(at));
  return out;
}

/** Whether a key press is typing into something (where "/" is a slash, not a shortcut). */
function typing(e: KeyboardEvent): boolean {
  const el = e.composedPath()[0];
  return el instanceof HTMLElement && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/**
 * The search box of the header (a button that opens it on phones) and its results, grouped by room with the
 * matches marked. Ctrl+K (⌘K) or "/" focuses it, unless the key is typed into a field; Escape closes it; arrows and
 * Enter choose a result, which opens the room at its message (web/src/links.ts).
 */
@customElement('parley-search')
export class ParleySearch extends LitElement {
  @internal() private q = '';
  @internal() private open = false;
  @internal() private hits: SearchHit[] = [];
  @internal() private next: string | null = null;
  @internal() private busy = false;
  @internal() private error = '';
  @internal() private searched = '';
  @internal() private active = -1;
  @query('input') private input!: HTMLInputElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inflight: AbortController | null = null;

  static override styles = [
    base,
    css`
      :host { display: block; min-width: 0; }
      .box { position: relative; display: flex; align-items: center; }
      .box > svg { position: absolute; left: 0.6rem; width: 18px; height: 18px; color: var(--muted); pointer-events: none; }
      input[type='search'] { width: clamp(160px, 26vw, 320px); padding: 0.45rem 2.6rem 0.45rem 2.1rem; border-radius: 999px; background: var(--surface-2); }
      kbd { position: absolute; right: 0.7rem; font: 600 0.72rem/1 inherit; color: var(--muted); border: 1px solid var(--border); border-radius: 5px; padding: 0.15rem 0.3rem; pointer-events: none; }
      .opener { display: none; }
      .panel {
        position: fixed; top: 64px; right: 0.75rem; z-index: 30; width: min(620px, calc(100vw - 1.5rem));
        max-height: calc(100dvh - 84px); overflow-y: auto; background: var(--surface); border: 1px solid var(--border);
        border-radius: 14px; box-shadow: var(--shadow); padding: 0.4rem 0 0.6rem;
      }
      .status { padding: 0.6rem 1rem; color: var(--muted); margin: 0; font-size: 0.9rem; }
      .status.error { color: var(--danger); }
      h3 { display: flex; align-items: center; gap: 0.3rem; margin: 0.6rem 1rem 0.2rem; font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
      h3 svg { width: 14px; height: 14px; }
      ul { list-style: none; margin: 0; padding: 0; }
      button.hit { display: block; width: 100%; text-align: left; background: none; border: none; padding: 0.5rem 1rem; border-radius: 0; }
      button.hit:hover, button.hit[aria-selected='true'] { background: var(--surface-2); }
      .meta { display: flex; gap: 0.5rem; align-items: baseline; font-size: 0.82rem; color: var(--muted); }
      .meta strong { color: var(--text); font-size: 0.88rem; }
      .snippet { display: block; margin-top: 0.1rem; overflow-wrap: anywhere; line-height: 1.35; }
      mark { background: #fde68a; color: inherit; border-radius: 3px; padding: 0 1px; }
      .more { margin: 0.5rem 1rem 0; }
      .close { display: none; }
      @media (max-width: 719px) {
        .opener { display: inline-grid; }
        .box { display: none; }
        :host([open]) .box {
          display: flex; position: fixed; top: 0; left: 0; right: 0; z-index: 31; padding: 0.5rem; gap: 0.4rem;
          background: var(--surface); border-bottom: 1px solid var(--border);
        }
        :host([open]) .box > svg { left: 1.1rem; }
        :host([open]) input[type='search'] { width: 100%; flex: 1; }
        :host([open]) kbd { display: none; }
        :host([open]) .close { display: inline-grid; }
        .panel { top: 58px; left: 0; right: 0; width: auto; border-radius: 0; max-height: calc(100dvh - 58px); border-width: 1px 0 0; }
      }
    `,
  ];

  private readonly onKey = (e: KeyboardEvent) => {
    const k = e.key.toLowerCase();
    if ((k === 'k' && (e.ctrlKey || e.metaKey)) || (e.key === '/' && !typing(e) && !e.ctrlKey && !e.metaKey)) {
      e.preventDefault();
      this.focus();
    }
  };
  private readonly onDocClick = (e: MouseEvent) => {
    if (this.open && !e.composedPath().includes(this)) this.close(false);
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onKey);
    document.addEventListener('click', this.onDocClick);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onKey);
    document.removeEventListener('click', this.onDocClick);
    clearTimeout(this.timer);
    this.inflight?.abort();
  }

  override focus(): void {
    this.show(true);
    void this.updateComplete.then(() => {
      this.input.focus();
      this.input.select();
    });
  }

  private show(open: boolean): void {
    this.open = open;
    this.toggleAttribute('open', open);
  }

  private close(refocus = true): void {
    this.show(false);
    this.active = -1;
    if (refocus) this.input?.blur();
  }

  private onInput(): void {
    this.q = this.input.value;
    this.show(true);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), DEBOUNCE_MS);
  }

  private async run(more = false): Promise<void> {
    const q = this.q;
    this.inflight?.abort();
    if (!q.trim()) {
      this.hits = [];
      this.next = null;
      this.error = '';
      this.searched = '';
      return;
    }
    const ctl = new AbortController();
    this.inflight = ctl;
    this.busy = true;
    const params = new URLSearchParams({ q, limit: '20' });
    if (more && this.next) params.set('cursor', this.next);
    try {
      const page = await api.get<SearchPage>(`/api/search?${params}`, { signal: ctl.signal });
      this.hits = more ? [...this.hits, ...page.results] : page.results;
      this.next = page.nextCursor;
      this.error = '';
      this.searched = q;
      if (!more) this.active = -1;
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      this.error = errorText(err);
      this.hits = [];
      this.next = null;
    } finally {
      if (this.inflight === ctl) {
        this.inflight = null;
        this.busy = false;
      }
    }
  }

  private onInputKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (this.hits.length === 0) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.hits.length) % this.hits.length;
      void this.updateComplete.then(() =>
        this.renderRoot.querySelector(`[data-index="${this.active}"]`)?.scrollIntoView({ block: 'nearest' }),
      );
    } else if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(this.timer);
      const hit = this.hits[this.active >= 0 ? this.active : 0];
      if (hit && this.searched === this.q) this.choose(hit);
      else void this.run();
    }
  }

  /** Opens the message: its room, scrolled to it and highlighted (loading the history around it if need be). */
  private choose(hit: SearchHit): void {
    this.close();
    navigate(messagePath(hit.room.id, hit.message.seq));
  }

  /** Results by room, rooms in the order of their newest hit. */
  private groups(): Array<{ room: SearchHit['room']; hits: Array<{ hit: SearchHit; index: number }> }> {
    const byRoom = new Map<string, { room: SearchHit['room']; hits: Array<{ hit: SearchHit; index: number }> }>();
    this.hits.forEach((hit, index) => {
      const group = byRoom.get(hit.room.id) ?? { room: hit.room, hits: [] };
      group.hits.push({ hit, index });
      byRoom.set(hit.room.id, group);
    });
    return [...byRoom.values()];
  }

  private renderPanel() {
    if (!this.open || !this.q.trim()) return nothing;
    const groups = this.groups();
    return html`<div class="panel" id="search-results" role="listbox" aria-label="Search results">
      ${this.error ? html`<p class="status error" role="alert">${this.error}</p>` : nothing}
      ${
        !this.error && this.searched && this.hits.length === 0 && !this.busy
          ? html`<p class="status" role="status">No messages match “${this.searched}”.</p>`
          : nothing
      }
      ${this.busy && this.hits.length === 0 ? html`<p class="status" role="status">Searching…</p>` : nothing}
      ${groups.map(
        (g) => html`<section aria-label=${g.room.name}>
          <h3>${icon(g.room.kind === 'private' ? 'lock' : g.room.kind === 'direct' ? 'users' : 'hash')}${g.room.name}</h3>
          <ul>
            ${g.hits.map(
              ({ hit, index }) => html`<li>
                <button class="hit" role="option" data-index=${index} aria-selected=${index === this.active ? 'true' : 'false'}
                  @click=${() => this.choose(hit)}>
                  <span class="meta"><strong>${hit.message.author.displayName}</strong>
                    <time datetime=${hit.message.createdAt}>${fullTime(hit.message.createdAt)}</time></span>
                  <span class="snippet">${markedSnippet(hit.snippet)}</span>
                </button>
              </li>`,
            )}
          </ul>
        </section>`,
      )}
      ${
        this.next
          ? html`<button class="btn small more" ?disabled=${this.busy} @click=${() => void this.run(true)}>More results</button>`
          : nothing
      }
    </div>`;
  }

  override render() {
    return html`
      <button class="icon-btn opener" aria-label="Open search" title="Search (Ctrl+K)" @click=${() => this.focus()}>
        ${icon('search')}
      </button>
      <div class="box">
        ${icon('search')}
        <input type="search" placeholder="Search messages" aria-label="Search messages" maxlength=${SEARCH_MAX_CHARS}
          autocomplete="off" spellcheck="false" aria-controls="search-results" aria-expanded=${this.open ? 'true' : 'false'}
          .value=${this.q} @input=${() => this.onInput()} @keydown=${(e: KeyboardEvent) => this.onInputKey(e)}
          @focus=${() => this.show(true)} />
        ${this.q ? nothing : html`<kbd aria-hidden="true">Ctrl K</kbd>`}
        <button class="icon-btn close" aria-label="Close search" @click=${() => this.close()}>${icon('close')}</button>
      </div>
      ${this.renderPanel()}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-search': ParleySearch;
  }
}
