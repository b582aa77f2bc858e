import { css, html, nothing } from 'lit';
import { avatarSvg } from '../avatars.js';
import { fullTime, timeOf } from '../format.js';
import type { Message, ReplyRef } from '../types.js';

/**
 * The parts of a message that replies and threads add (parley-message renders them): the quote of the parent a
 * reply answers, and a root's "N replies" link. They fire `jump-to` (detail: the parent's seq) and `open-thread`
 * (detail: the root's seq), bubbling out of the message to the room view.
 */

export function fire(from: EventTarget, name: 'jump-to' | 'open-thread' | 'reply-to', detail: unknown): void {
  from.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }));
}

/** The quoted parent; a button that jumps to it unless `still` (a message being sent, or the root of its panel). */
export function renderQuote(host: EventTarget, quote: ReplyRef, still = false) {
  const gone = quote.excerpt === null;
  const who = quote.author ? quote.author.displayName || quote.author.username : '';
  const text = gone ? 'The original message was deleted' : quote.excerpt || 'Image';
  const body = html`<span class="q-who">${gone ? nothing : who}</span><span class="q-text ${gone ? 'gone' : ''}">${text}</span>`;
  const label = gone ? `Reply to deleted message ${quote.seq}` : `Reply to ${who}: ${text}. Show the message`;
  return still
    ? html`<div class="quote" data-testid="reply-quote" data-reply-to=${quote.seq}>${body}</div>`
    : html`<button type="button" class="quote" data-testid="reply-quote" data-reply-to=${quote.seq} aria-label=${label}
        title="Show the message" @click=${() => fire(host, 'jump-to', quote.seq)}>${body}</button>`;
}

/** "3 replies" with the repliers' avatars and the last reply's time; opens the thread panel. */
export function renderThreadLink(host: EventTarget, m: Message) {
  const t = m.thread;
  if (!t) return nothing;
  const n = `${t.replies} ${t.replies === 1 ? 'reply' : 'replies'}`;
  return html`<button type="button" class="thread-link" data-testid="thread-link" aria-label=${`${n}: open the thread`}
    @click=${() => fire(host, 'open-thread', m.seq)}>
    <span class="faces">${t.participants.slice(0, 3).map((u) => avatarSvg(u, 20))}</span>
    <strong>${n}</strong>${
      t.lastReplyAt
        ? html`<time datetime=${t.lastReplyAt} title=${fullTime(t.lastReplyAt)}>last ${timeOf(t.lastReplyAt)}</time>`
        : nothing
    }</button>`;
}

export const replyStyles = css`
  .quote {
    display: flex; flex-direction: column; gap: 0.05rem; width: 100%; text-align: left; margin: 0.1rem 0 0.3rem;
    padding: 0.25rem 0.5rem; border: none; border-left: 3px solid var(--accent); border-radius: 6px;
    background: rgba(15, 23, 42, 0.05); font-size: 0.8rem; color: var(--text); min-width: 0;
  }
  button.quote { cursor: pointer; }
  button.quote:hover { background: rgba(15, 23, 42, 0.09); }
  .quote .q-who { font-weight: 700; color: var(--accent-strong); }
  .quote .q-who:empty { display: none; }
  .quote .q-text { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
  .quote .q-text.gone { font-style: italic; }
  .thread-link {
    display: inline-flex; align-items: center; gap: 0.4rem; margin: 0.25rem 0 0.1rem; padding: 0.15rem 0.5rem 0.15rem 0.25rem;
    border: 1px solid var(--border); border-radius: 999px; background: var(--surface); font-size: 0.8rem; color: var(--accent-strong);
    cursor: pointer; white-space: nowrap; max-width: 100%; overflow: hidden;
  }
  .thread-link:hover { background: #eef2ff; }
  .thread-link .faces { display: inline-flex; }
  .thread-link .faces svg { border-radius: 50%; background: var(--surface); box-shadow: 0 0 0 2px var(--surface); }
  .thread-link .faces svg + svg { margin-left: -6px; }
  .thread-link time { color: var(--muted); font-weight: 400; }
  :host([highlight]) .bubble { box-shadow: 0 0 0 3px var(--focus); transition: box-shadow 0.2s; }
  /* A narrow column (the thread panel beside the timeline): the actions float over the message's corner instead of
     taking a width the bubble needs. */
  @media (min-width: 720px) {
    :host([compact]) .actions {
      position: absolute; top: -10px; right: 0; z-index: 1; background: var(--surface); border: 1px solid var(--border);
      border-radius: 8px; box-shadow: var(--shadow); pointer-events: none;
    }
    :host([compact]) .msg:hover .actions, :host([compact]) .msg:focus-within .actions { pointer-events: auto; }
    :host([compact]) .msg.theirs { padding-right: 0; }
    :host([compact]) .msg.mine { padding-left: 8%; }
  }
`;

declare global {
  interface HTMLElementEventMap {
    'jump-to': CustomEvent<number>;
    'open-thread': CustomEvent<number>;
    'reply-to': CustomEvent<Message>;
  }
}
