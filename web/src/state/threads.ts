import { api, errorText } from '../api.js';
import type { Message, RoomEvent, ThreadSummary } from '../types.js';
import { requoted } from './replies.js';
import { Store } from './store.js';

const PAGE = 100;
/** A thread panel loads at most this many pages at once (10,000 replies). */
const MAX_PAGES = 100;

/** The open thread: its root and its replies by seq, kept current by the room's events. */
export interface ThreadView {
  roomId: string;
  rootSeq: number;
  root: Message | null;
  replies: ReadonlyMap<number, Message>;
  loading: boolean;
  error: string | null;
}

/** The replies of a view in seq order. */
export function repliesOf(view: ThreadView): Message[] {
  return [...view.replies.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The thread panel's state: one open thread at a time. It loads the thread's pages, then follows the room's stored
 * events (replies, edits, deletes, thread.updated) and the answers to my own replies, so it updates live; after a
 * reconnect it fetches what came after its newest reply.
 */
export class Threads {
  readonly store = new Store<ThreadView | null>(null);

  get value(): ThreadView | null {
    return this.store.value;
  }

  /** Opens the thread rooted at `rootSeq` (with the root as the timeline has it, shown while the thread loads). */
  open(roomId: string, rootSeq: number, root: Message | null = null): void {
    const view = this.value;
    if (view?.roomId === roomId && view.rootSeq === rootSeq) return;
    this.store.set({ roomId, rootSeq, root, replies: new Map(), loading: true, error: null });
    void this.load(roomId, rootSeq);
  }

  close(roomId?: string): void {
    if (roomId === undefined || this.value?.roomId === roomId) this.store.set(null);
  }

  private isOpen(roomId: string, rootSeq: number): boolean {
    return this.value?.roomId === roomId && this.value.rootSeq === rootSeq;
  }

  /** Pages through the thread after its newest loaded reply (on open, and to catch up after a reconnect). */
  private async load(roomId: string, rootSeq: number): Promise<void> {
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const view = this.value;
        const after = view ? Math.max(0, ...view.replies.keys()) : 0;
        const { root, replies } = await api.get<{ root: Message; replies: Message[] }>(
          `/api/rooms/${roomId}/messages/${rootSeq}/thread?after=${after}&limit=${PAGE}`,
        );
        if (!this.isOpen(roomId, rootSeq)) return;
        this.update((v) => ({ ...v, root, replies: withMessages(v.replies, replies) }));
        if (replies.length < PAGE) break;
      }
      this.update((v) => ({ ...v, loading: false, error: null }));
    } catch (err) {
      if (this.isOpen(roomId, rootSeq)) this.update((v) => ({ ...v, loading: false, error: errorText(err) }));
    }
  }

  /** After a reconnect: what the open thread may have missed. */
  async catchUp(): Promise<void> {
    const view = this.value;
    if (view && !view.loading) await this.load(view.roomId, view.rootSeq);
  }

  private update(change: (view: ThreadView) => ThreadView): void {
    const view = this.value;
    if (view) this.store.set(change(view));
  }

  /** A stored message (my reply's POST answer, or an edit's): the panel shows it if it belongs here. */
  put(message: Message): void {
    const view = this.value;
    if (!view || view.roomId !== message.roomId) return;
    if (message.seq === view.rootSeq) this.update((v) => ({ ...v, root: message }));
    else if (message.threadSeq === view.rootSeq)
      this.update((v) => ({ ...v, replies: withMessages(v.replies, [message]) }));
  }

  /** A stored event of any room. */
  applyEvent(e: RoomEvent): void {
    const view = this.value;
    if (!view || view.roomId !== e.roomId) return;
    switch (e.type) {
      case 'message.created':
      case 'message.edited':
      case 'message.deleted': {
        const message = e.payload.message as Message | undefined;
        if (!message) return;
        // Replies here that quote it show it as it is now.
        const quotes = requoted(view.replies.values(), message);
        if (quotes.length) this.update((v) => ({ ...v, replies: withMessages(v.replies, quotes) }));
        if (e.type === 'message.created' || view.replies.has(message.seq) || message.seq === view.rootSeq) {
          this.put(message);
        }
        return;
      }
      case 'thread.updated': {
        if (e.payload.seq !== view.rootSeq || !view.root) return;
        const thread = (e.payload.thread ?? null) as ThreadSummary | null;
        this.update((v) => (v.root ? { ...v, root: { ...v.root, thread } } : v));
        return;
      }
      case 'room.deleted':
        this.close(e.roomId);
        return;
    }
  }
}

function withMessages(map: ReadonlyMap<number, Message>, messages: readonly Message[]): ReadonlyMap<number, Message> {
  if (!messages.length) return map;
  const next = new Map(map);
  for (const m of messages) next.set(m.seq, m);
  return next;
}
