import type { Message, PublicUser, ReplyRef, ThreadSummary } from './store.js';

/** Replies quote at most this many characters of their parent. */
export const REPLY_EXCERPT_CHARS = 140;
/** A thread summary names at most this many of its repliers. */
export const THREAD_PARTICIPANTS = 5;

/**
 * What a reply quotes of its parent: the text on one line, cut to REPLY_EXCERPT_CHARS characters (code points, so
 * an emoji is never split), with an ellipsis when cut. '' for an image without text; null once deleted.
 */
export function excerptOf(text: string | null, deleted: boolean): string | null {
  if (deleted) return null;
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= REPLY_EXCERPT_CHARS ? flat : chars.slice(0, REPLY_EXCERPT_CHARS - 1).join('') + '…';
}

/** The reference a reply carries to its parent, as the parent is now. */
export function replyRefOf(parent: Pick<Message, 'seq' | 'author' | 'text' | 'deletedAt'>): ReplyRef {
  const deleted = parent.deletedAt !== null;
  return { seq: parent.seq, author: deleted ? null : parent.author, excerpt: excerptOf(parent.text, deleted) };
}

/** A summary from its parts; null when no reply is left (the root then shows no thread). */
export function threadSummary(replies: number, lastReplyAt: string | null, participants: PublicUser[]) {
  const summary: ThreadSummary = { replies, lastReplyAt, participants: participants.slice(0, THREAD_PARTICIPANTS) };
  return replies > 0 ? summary : null;
}
