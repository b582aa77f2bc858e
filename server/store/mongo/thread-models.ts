import { Schema } from 'mongoose';

/** A root's thread summary as stored: participants are user ids (profiles are read with the message's author). */
export interface ThreadDoc {
  replies: number;
  lastReplyAt: Date | null;
  participantIds: string[];
}

/** The reply and thread fields of a message document (kept here so models.ts stays one list of collections). */
export interface ThreadFields {
  /** seq of the message replied to; null when not a reply. */
  replyToSeq: number | null;
  /** seq of the thread's root; null when not a reply. */
  threadSeq: number | null;
  /** On a root: its summary, kept current in the transaction of every change to its replies; null when none. */
  thread: ThreadDoc | null;
}

export const threadFields = {
  replyToSeq: { type: Number, default: null },
  threadSeq: { type: Number, default: null },
  thread: { type: Schema.Types.Mixed, default: null },
};

/**
 * Partial indexes: only replies are indexed. Seqs start at 1, so `$gt: 0` selects them, and an equality query on a
 * seq implies it (the planner uses a partial index only when the query implies its filter).
 */
export function indexReplies(messageSchema: Schema, eventSchema: Schema): void {
  // A thread's replies in order (GET .../thread, the summary).
  messageSchema.index({ roomId: 1, threadSeq: 1, seq: 1 }, { partialFilterExpression: { threadSeq: { $gt: 0 } } });
  // The stored copies of a parent's replies, to rewrite their excerpts when the parent is edited or deleted.
  eventSchema.index(
    { roomId: 1, 'payload.message.replyTo.seq': 1 },
    { partialFilterExpression: { 'payload.message.replyTo.seq': { $gt: 0 } } },
  );
}
