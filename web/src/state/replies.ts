import { replyRefOf } from '../../../server/store/threads.js';
import type { Message, ReplyRef, ThreadSummary } from '../types.js';
import type { Timeline } from './timeline.js';
import { putMessages } from './timeline.js';

/**
 * Replies and thread summaries in a timeline: the pure functions applyEvent uses for thread.updated and for a
 * parent's edit or delete (its loaded replies quote it as it is now, as the server's copies do).
 */

/** What a reply to `m` quotes (the same rule as the server's). */
export function quoteOf(m: Message): ReplyRef {
  return replyRefOf(m);
}

/** Messages among `messages` whose quote of `parent` changed, with the new quote. */
export function requoted(messages: Iterable<Message>, parent: Message): Message[] {
  const quote = quoteOf(parent);
  const out: Message[] = [];
  for (const m of messages) {
    const old = m.replyTo;
    if (old?.seq === parent.seq && (old.excerpt !== quote.excerpt || old.author?.id !== quote.author?.id)) {
      out.push({ ...m, replyTo: quote });
    }
  }
  return out;
}

function messagesOf(tl: Timeline): Message[] {
  const out: Message[] = [];
  for (const item of tl.items.values()) if (item.kind === 'message') out.push(item.message);
  return out;
}

/** The parent was edited or deleted: its loaded replies quote it anew (headSeq is unchanged). */
export function requote(tl: Timeline, parent: Message): Timeline {
  const changed = requoted(messagesOf(tl), parent);
  return changed.length ? { ...putMessages(tl, changed), headSeq: tl.headSeq } : tl;
}

/** thread.updated: the root, if loaded, shows its new summary. */
export function applyThread(tl: Timeline, rootSeq: number, thread: ThreadSummary | null): Timeline {
  const item = tl.items.get(rootSeq);
  if (item?.kind !== 'message') return tl;
  return { ...putMessages(tl, [{ ...item.message, thread }]), headSeq: tl.headSeq };
}
