import type { Attachment, Message, PublicUser, ReplyRef, RoomEvent, ThreadSummary } from '../types.js';
import { activityText } from './activity.js';
import { applyThread, requote } from './replies.js';
import { applyReaction } from './reactions.js';

/**
 * One room's timeline as a value, and the pure functions that make the next value from it: messages and activity
 * lines keyed by seq (so history pages, catch-up pages, replays and live events merge idempotently), and the
 * messages this tab is sending. Nothing here touches the network, the DOM or a clock.
 */

/** One line of a room's timeline, ordered by seq. */
export type TimelineItem =
  { kind: 'message'; seq: number; message: Message } | { kind: 'activity'; seq: number; at: string; event: RoomEvent };

export interface PendingAttachment {
  upload: Attachment;
  /** A local (blob:) preview, released when the message is stored or discarded. */
  preview: string | null;
}

/** A message the user sent that the server has not confirmed yet (or refused). */
export interface PendingMessage {
  localId: string;
  /** Sent with every attempt: a retry after a lost answer cannot post the message twice, and its stream copy is
   * recognised by it. */
  clientId: string;
  roomId: string;
  text: string;
  attachments: PendingAttachment[];
  createdAt: string;
  status: 'pending' | 'failed';
  error?: string;
  /** A reply: what it quotes, and its thread's root. */
  replyTo?: ReplyRef | null;
  threadSeq?: number | null;
}

export interface Timeline {
  readonly items: ReadonlyMap<number, TimelineItem>;
  readonly pending: readonly PendingMessage[];
  /** Seqs of our own messages whose POST has answered (their stream copy must not consume another pending one). */
  readonly confirmed: ReadonlySet<number>;
  /** The highest seq seen from any source. */
  readonly headSeq: number;
  readonly loaded: boolean;
  readonly loading: boolean;
  readonly loadingOlder: boolean;
  /** Whether history older than the oldest loaded message exists. */
  readonly hasMore: boolean;
  /**
   * Whether messages newer than the newest loaded one exist: the timeline shows a window around a linked message,
   * away from the live end. Live messages are then not added (they would leave a gap); paging newer reaches them.
   */
  readonly hasNewer: boolean;
  readonly loadingNewer: boolean;
  /** The newest seq that a page (not the live stream) put at the bottom: growth there keeps the reader's place. */
  readonly pagedTo: number;
  readonly error: string | null;
}

export function emptyTimeline(): Timeline {
  return {
    items: new Map(),
    pending: [],
    confirmed: new Set(),
    headSeq: 0,
    loaded: false,
    loading: false,
    loadingOlder: false,
    hasMore: true,
    hasNewer: false,
    loadingNewer: false,
    pagedTo: 0,
    error: null,
  };
}

const sorted = new WeakMap<ReadonlyMap<number, TimelineItem>, TimelineItem[]>();

/** The items in seq order (sorted once per change of the items). */
export function itemsOf(tl: Timeline): readonly TimelineItem[] {
  let list = sorted.get(tl.items);
  if (!list) sorted.set(tl.items, (list = [...tl.items.values()].sort((a, b) => a.seq - b.seq)));
  return list;
}

/** The seq of the oldest loaded message, or null when none is loaded. */
export function oldestMessageSeq(tl: Timeline): number | null {
  const first = itemsOf(tl).find((i) => i.kind === 'message');
  return first ? first.seq : null;
}

/** The seq of the newest loaded message, or null when none is loaded. */
export function newestMessageSeq(tl: Timeline): number | null {
  const items = itemsOf(tl);
  for (let i = items.length - 1; i >= 0; i--) if (items[i]!.kind === 'message') return items[i]!.seq;
  return null;
}

/** A window of history around a linked message replaces what was loaded (what is being sent stays). */
export function startAt(
  tl: Timeline,
  page: { messages: readonly Message[]; hasMoreBefore: boolean; hasMoreAfter: boolean },
): Timeline {
  const items = new Map<number, TimelineItem>(
    page.messages.map((m) => [m.seq, { kind: 'message', seq: m.seq, message: m }]),
  );
  const newest = page.messages.reduce((max, m) => Math.max(max, m.seq), 0);
  return {
    ...tl,
    items,
    headSeq: Math.max(tl.headSeq, newest),
    loaded: true,
    hasMore: page.hasMoreBefore,
    hasNewer: page.hasMoreAfter,
    pagedTo: newest,
    error: null,
  };
}

/** A page of newer messages (paging down from a linked message); `end` when it reached the newest. */
export function putNewer(tl: Timeline, messages: readonly Message[], end: boolean): Timeline {
  const next = putMessages(tl, messages);
  const newest = messages.reduce((max, m) => Math.max(max, m.seq), tl.pagedTo);
  return { ...next, hasNewer: !end, pagedTo: newest };
}

/** My newest message that can still be edited (Up in an empty composer edits it). */
export function lastOwnMessage(tl: Timeline, me: string | null): Message | undefined {
  const items = itemsOf(tl);
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.kind === 'message' && item.message.author.id === me && !item.message.deletedAt) return item.message;
  }
  return undefined;
}

/** Stored messages (a page, a POST's answer, an edit): each replaces whatever the timeline had at its seq. */
export function putMessages(tl: Timeline, messages: readonly Message[]): Timeline {
  if (!messages.length) return tl;
  const items = new Map(tl.items);
  let headSeq = tl.headSeq;
  for (const message of messages) {
    items.set(message.seq, { kind: 'message', seq: message.seq, message });
    if (message.seq > headSeq) headSeq = message.seq;
  }
  return { ...tl, items, headSeq };
}

/** Events from the room's log: those with an activity line that the timeline lacks. */
export function putActivity(tl: Timeline, events: readonly RoomEvent[]): Timeline {
  // History pages carry current profiles, so old member.updated events need nothing here.
  const fresh = events.filter((e) => !tl.items.has(e.seq) && activityText(e) !== null);
  if (!fresh.length) return tl;
  const items = new Map(tl.items);
  for (const e of fresh) items.set(e.seq, { kind: 'activity', seq: e.seq, at: e.at, event: e });
  return { ...tl, items };
}

/** The stream copy of a message we are sending, by its client key, whatever the pending copy's state: a post whose
 * answer was lost (shown as not sent) was stored after all. */
export function samePost(p: PendingMessage, m: Message): boolean {
  return m.clientId !== null && m.clientId === p.clientId;
}

/** A live event of the room. `me` is the signed-in user's id. */
export function applyEvent(tl: Timeline, e: RoomEvent, me: string | null): Timeline {
  let next: Timeline = e.seq > tl.headSeq ? { ...tl, headSeq: e.seq } : tl;
  // Away from the live end (a window around a linked message), new lines are not added: paging newer brings them.
  const detached = tl.hasNewer;
  if (activityText(e) !== null && !detached) {
    next = { ...next, items: new Map(next.items).set(e.seq, { kind: 'activity', seq: e.seq, at: e.at, event: e }) };
  }
  switch (e.type) {
    case 'message.created': {
      if (detached) return next;
      // A message's seq is its creation event's, by definition.
      const message: Message = { ...(e.payload.message as Message), seq: e.seq, roomId: e.roomId };
      next = putMessages(next, [message]);
      // Our own message may arrive before the POST answers: it replaces its pending copy.
      if (message.author.id === me && !next.confirmed.has(message.seq)) {
        const copy = next.pending.find((p) => samePost(p, message));
        if (copy) {
          const pending = next.pending.filter((p) => p !== copy);
          next = { ...next, pending, confirmed: new Set(next.confirmed).add(message.seq) };
        }
      }
      return next;
    }
    case 'message.edited':
    case 'message.deleted': {
      const message = e.payload.message as Message | undefined;
      if (!message) return next;
      // Loaded replies quote the parent as it is now.
      next = requote(next, message);
      if (!next.items.has(message.seq)) return next;
      // The event's copy has no reactions: an edit keeps them, a delete removes them (docs/events.md).
      const had = next.items.get(message.seq);
      const reactions = e.type === 'message.edited' && had?.kind === 'message' ? had.message.reactions : [];
      return putMessages(next, [{ ...message, reactions }]);
    }
    case 'reaction.added':
    case 'reaction.removed': {
      const item = next.items.get(e.payload.seq as number);
      if (item?.kind !== 'message') return next;
      const message = applyReaction(item.message, e, me);
      return message === item.message
        ? next
        : { ...next, items: new Map(next.items).set(item.seq, { ...item, message }) };
    }
    case 'thread.updated':
      return applyThread(next, e.payload.seq as number, (e.payload.thread ?? null) as ThreadSummary | null);
    default:
      return next;
  }
}

/** A message being sent (new, or a retry of a failed one with the same localId). */
export function addPending(tl: Timeline, p: PendingMessage): Timeline {
  const i = tl.pending.findIndex((x) => x.localId === p.localId);
  if (i < 0) return { ...tl, pending: [...tl.pending, p] };
  return { ...tl, pending: tl.pending.map((x, j) => (j === i ? p : x)) };
}

/** A post failed: its pending copy says so (unless its stream copy already replaced it). */
export function failPending(tl: Timeline, localId: string, error: string): Timeline {
  if (!tl.pending.some((p) => p.localId === localId)) return tl;
  return {
    ...tl,
    pending: tl.pending.map((p) => (p.localId === localId ? { ...p, status: 'failed' as const, error } : p)),
  };
}

export function removePending(tl: Timeline, localId: string): Timeline {
  if (!tl.pending.some((p) => p.localId === localId)) return tl;
  return { ...tl, pending: tl.pending.filter((p) => p.localId !== localId) };
}

/** A post answered with its stored message: the message replaces the pending copy. */
export function confirmPost(tl: Timeline, localId: string, message: Message): Timeline {
  const next = removePending(tl, localId);
  return putMessages({ ...next, confirmed: new Set(next.confirmed).add(message.seq) }, [message]);
}

/** A message I deleted, before (or without) its event. */
export function markDeleted(tl: Timeline, seq: number, at: string): Timeline {
  const item = tl.items.get(seq);
  if (item?.kind !== 'message' || item.message.deletedAt) return tl;
  return putMessages(tl, [{ ...item.message, text: null, deletedAt: at }]);
}

/** Someone's new public profile: their messages show it. */
export function applyProfile(tl: Timeline, user: PublicUser): Timeline {
  const changed: Message[] = [];
  for (const item of tl.items.values()) {
    if (item.kind === 'message' && item.message.author.id === user.id) changed.push({ ...item.message, author: user });
  }
  if (!changed.length) return tl;
  const headSeq = tl.headSeq;
  return { ...putMessages(tl, changed), headSeq };
}

/** The server cannot replay what was missed (a `reset`): start over, keeping what is being sent. */
export function restart(tl: Timeline): Timeline {
  return { ...emptyTimeline(), pending: tl.pending };
}

/** The pending messages of `before` that `after` no longer has (their previews can be released). */
export function settledPosts(before: Timeline, after: Timeline): PendingMessage[] {
  if (before.pending === after.pending) return [];
  const ids = new Set(after.pending.map((p) => p.localId));
  return before.pending.filter((p) => !ids.has(p.localId));
}
