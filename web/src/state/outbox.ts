import { api, errorText } from '../api.js';
import type { Message, ReplyRef } from '../types.js';
import * as T from './timeline.js';
import type { PendingAttachment, PendingMessage } from './timeline.js';
import type { Timelines } from './timelines.js';

/** A random key for a post (getRandomValues works on plain-HTTP origins too, unlike randomUUID). */
function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Messages on their way: each shows at the bottom of its timeline as "Sending…" until its POST answers or its stream
 * copy arrives (recognised by its client key), or as "Not sent" with Retry and Discard. No automatic resend.
 */
export class Outbox {
  private nextLocalId = 1;

  constructor(
    private readonly timelines: Timelines,
    /** Told of each message the server stored (the thread panel shows my replies before their stream copy). */
    private readonly stored: (message: Message) => void = () => undefined,
  ) {}

  /** `reply` makes it a reply: what it quotes and its thread's root. */
  send(
    roomId: string,
    text: string,
    attachments: PendingAttachment[] = [],
    reply: { replyTo: ReplyRef; threadSeq: number } | null = null,
  ): Promise<void> {
    const pending: PendingMessage = {
      localId: `local-${this.nextLocalId++}`,
      clientId: newClientId(),
      roomId,
      text,
      attachments,
      createdAt: new Date().toISOString(),
      status: 'pending',
      replyTo: reply?.replyTo ?? null,
      threadSeq: reply?.threadSeq ?? null,
    };
    this.timelines.of(roomId);
    // A message is sent at the live end: leave a window around a linked message first.
    void this.timelines.toLatest(roomId);
    return this.post(pending);
  }

  /** Sends a failed message again, with the same client key (a post stored after all is not stored twice). */
  retry(p: PendingMessage): Promise<void> {
    return this.post({ ...p, status: 'pending', error: undefined });
  }

  discard(p: PendingMessage): void {
    this.timelines.update(p.roomId, (tl) => T.removePending(tl, p.localId));
  }

  private async post(p: PendingMessage): Promise<void> {
    this.timelines.update(p.roomId, (tl) => T.addPending(tl, p));
    try {
      const body: { text?: string; attachments?: string[]; clientId: string; replyTo?: number } = {
        clientId: p.clientId,
      };
      if (p.text.trim()) body.text = p.text;
      if (p.replyTo) body.replyTo = p.replyTo.seq;
      if (p.attachments.length) body.attachments = p.attachments.map((a) => a.upload.id);
      const { message } = await api.post<{ message: Message }>(`/api/rooms/${p.roomId}/messages`, body);
      this.timelines.update(p.roomId, (tl) => T.confirmPost(tl, p.localId, message));
      this.stored(message);
    } catch (err) {
      this.timelines.update(p.roomId, (tl) => T.failPending(tl, p.localId, errorText(err)));
    }
  }
}
