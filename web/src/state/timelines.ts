import { api, errorText } from '../api.js';
import type { Message, ReactionSummary, RoomEvent } from '../types.js';
import { Store } from './store.js';
import * as T from './timeline.js';
import type { Timeline } from './timeline.js';

const PAGE = 50;

/** Releases the local previews of posts that left a timeline (stored, discarded, or the room forgotten). */
function releasePreviews(posts: readonly T.PendingMessage[]): void {
  for (const p of posts) for (const a of p.attachments) if (a.preview) URL.revokeObjectURL(a.preview);
}

/**
 * Every room's timeline, one store each (so a room's view re-renders for its own room only), and the requests that
 * fill them: the newest page, older pages, activity lines from the room log, catch-up after a reconnect.
 */
export class Timelines {
  private readonly stores = new Map<string, Store<Timeline>>();
  private readonly changeListeners = new Set<(roomId: string, tl: Timeline) => void>();
  /** Per room, which load owns the timeline: a jump to a message overrides a newest page still on its way. */
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly toast: (text: string, kind: 'info' | 'error') => void,
    /** Whether the event stream is live (a page read before it opened may miss what came in between). */
    private readonly streamLive: () => boolean,
  ) {}

  /** The room's timeline store, created empty the first time. */
  of(roomId: string): Store<Timeline> {
    let store = this.stores.get(roomId);
    if (!store) {
      store = new Store(T.emptyTimeline());
      store.subscribe((tl) => {
        for (const l of this.changeListeners) l(roomId, tl);
      });
      this.stores.set(roomId, store);
    }
    return store;
  }

  /** The room's timeline if one was ever started. */
  peek(roomId: string): Timeline | undefined {
    return this.stores.get(roomId)?.value;
  }

  /** Calls `listener` after any timeline changes. */
  onChange(listener: (roomId: string, tl: Timeline) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Makes the room's next timeline with a pure function of timeline.ts (only for a timeline that exists). */
  update(roomId: string, change: (tl: Timeline) => Timeline): void {
    const store = this.stores.get(roomId);
    if (!store) return;
    const before = store.value;
    const after = change(before);
    store.set(after);
    releasePreviews(T.settledPosts(before, after));
  }

  /** Rooms whose timeline has been started. */
  rooms(): string[] {
    return [...this.stores.keys()];
  }

  applyEvent(e: RoomEvent, me: string | null): void {
    this.update(e.roomId, (tl) => T.applyEvent(tl, e, me));
  }

  /** The newest page of a room (on open, and after a `reset`). */
  async loadLatest(roomId: string): Promise<void> {
    this.of(roomId);
    const gen = this.nextGeneration(roomId);
    this.update(roomId, (tl) => ({ ...tl, loading: true }));
    try {
      const { messages } = await api.get<{ messages: Message[] }>(`/api/rooms/${roomId}/messages?limit=${PAGE}`);
      if (this.generation.get(roomId) !== gen) return; // a jump to a message took over
      const hasMore = messages.length === PAGE;
      this.update(roomId, (tl) => ({ ...T.putMessages(tl, messages), loaded: true, hasMore, error: null }));
      const oldest = messages.length ? Math.min(...messages.map((m) => m.seq)) : 0;
      await this.loadActivity(roomId, undefined, hasMore ? oldest : 1);
      // The stream may have started after this page was read: fetch whatever fell between the two.
      if (this.streamLive()) void this.catchUp(roomId).catch(() => undefined);
    } catch (err) {
      this.update(roomId, (tl) => ({ ...tl, error: errorText(err) }));
    } finally {
      this.update(roomId, (tl) => ({ ...tl, loading: false }));
    }
  }

  private nextGeneration(roomId: string): number {
    const gen = (this.generation.get(roomId) ?? 0) + 1;
    this.generation.set(roomId, gen);
    return gen;
  }

  /**
   * Shows the history around the message at `seq` (a link to it), unless it is loaded already: the window replaces
   * what was loaded, and paging older or newer goes on from there. Answers whether the message is now shown; a seq
   * that is not a message of the room says so in a toast.
   */
  async jumpTo(roomId: string, seq: number): Promise<boolean> {
    const tl = this.of(roomId).value;
    if (tl.loaded && tl.items.get(seq)?.kind === 'message') return true;
    const gen = this.nextGeneration(roomId);
    this.update(roomId, (t) => ({ ...t, loading: true }));
    try {
      const page = await api.get<{ messages: Message[]; hasMoreBefore: boolean; hasMoreAfter: boolean }>(
        `/api/rooms/${roomId}/messages?around=${seq}&limit=${PAGE}`,
      );
      if (this.generation.get(roomId) !== gen) return false;
      this.update(roomId, (t) => T.startAt(t, page));
      const newest = page.messages.at(-1)?.seq;
      await this.loadActivity(roomId, page.hasMoreAfter && newest ? newest + 1 : undefined, page.messages[0]?.seq ?? 1);
      return true;
    } catch (err) {
      if (this.generation.get(roomId) !== gen) return false;
      this.toast(`Could not open the linked message: ${errorText(err)}`, 'error');
      if (!this.peek(roomId)?.loaded) void this.loadLatest(roomId);
      return false;
    } finally {
      if (this.generation.get(roomId) === gen) this.update(roomId, (t) => ({ ...t, loading: false }));
    }
  }

  /** The page after the newest loaded message, when the timeline is away from the live end (scrolling down). */
  async loadNewer(roomId: string): Promise<void> {
    const tl = this.peek(roomId);
    if (!tl || !tl.loaded || !tl.hasNewer || tl.loadingNewer) return;
    const after = T.newestMessageSeq(tl) ?? 0;
    const gen = this.generation.get(roomId);
    this.update(roomId, (t) => ({ ...t, loadingNewer: true }));
    try {
      const { messages } = await api.get<{ messages: Message[] }>(
        `/api/rooms/${roomId}/messages?after=${after}&limit=${PAGE}`,
      );
      if (this.generation.get(roomId) !== gen) return;
      const end = messages.length < PAGE;
      this.update(roomId, (t) => T.putNewer(t, messages, end));
      const newest = messages.at(-1)?.seq;
      if (newest) await this.loadActivity(roomId, end ? undefined : newest + 1, after + 1);
      // At the live end now: live messages are added from here on; fetch any that came while this page was read.
      if (end) await this.catchUp(roomId, T.newestMessageSeq(this.peek(roomId)!) ?? after);
    } catch (err) {
      this.toast(`Could not load newer messages: ${errorText(err)}`, 'error');
    } finally {
      this.update(roomId, (t) => ({ ...t, loadingNewer: false }));
    }
  }

  /** Back to the newest messages (a window around a linked message is left: sending, or "Jump to latest"). */
  async toLatest(roomId: string): Promise<void> {
    const tl = this.peek(roomId);
    if (!tl?.hasNewer) return;
    this.update(roomId, (t) => ({
      ...T.emptyTimeline(),
      pending: t.pending,
      confirmed: t.confirmed,
      headSeq: t.headSeq,
    }));
    await this.loadLatest(roomId);
  }

  /** The page before the oldest loaded message (scrolling up). */
  async loadOlder(roomId: string): Promise<void> {
    const tl = this.peek(roomId);
    if (!tl || tl.loadingOlder || !tl.hasMore || !tl.loaded) return;
    const before = T.oldestMessageSeq(tl);
    if (before === null) {
      this.update(roomId, (t) => ({ ...t, hasMore: false }));
      return;
    }
    this.update(roomId, (t) => ({ ...t, loadingOlder: true }));
    try {
      const { messages } = await api.get<{ messages: Message[] }>(
        `/api/rooms/${roomId}/messages?before=${before}&limit=${PAGE}`,
      );
      const hasMore = messages.length === PAGE;
      this.update(roomId, (t) => ({ ...T.putMessages(t, messages), hasMore }));
      const oldest = messages.length ? Math.min(...messages.map((m) => m.seq)) : 1;
      await this.loadActivity(roomId, before, hasMore ? oldest : 1);
    } catch (err) {
      this.toast(`Could not load older messages: ${errorText(err)}`, 'error');
    } finally {
      this.update(roomId, (t) => ({ ...t, loadingOlder: false }));
    }
  }

  /**
   * Activity lines (joins, leaves, roles, renames) from the room's stored log, for the seqs from `downTo` up to
   * `before` (exclusive; undefined = the newest), so they survive a reload. Best effort: history shows without them.
   */
  private async loadActivity(roomId: string, before: number | undefined, downTo: number): Promise<void> {
    let cursor = before;
    try {
      for (let page = 0; page < 5; page++) {
        const limit = cursor === undefined ? 200 : Math.min(500, Math.max(1, cursor - downTo));
        const q = cursor === undefined ? `limit=${limit}` : `before=${cursor}&limit=${limit}`;
        const { events } = await api.get<{ events: RoomEvent[] }>(`/api/rooms/${roomId}/log?${q}`);
        if (!this.stores.has(roomId)) return;
        this.update(roomId, (tl) => T.putActivity(tl, events));
        const lowest = events.length ? events[events.length - 1]!.seq : 0;
        if (events.length < limit || lowest <= downTo || lowest <= 1) return;
        cursor = lowest;
      }
    } catch {
      /* history shows without its activity lines */
    }
  }

  /** Fetches what a loaded timeline may have missed (after a reconnect); the seq keys make it idempotent. */
  async catchUp(roomId: string, from?: number): Promise<void> {
    const tl = this.peek(roomId);
    // Away from the live end there is nothing to catch up: paging newer fetches it.
    if (!tl?.loaded || tl.hasNewer) return;
    let after = from ?? tl.headSeq;
    for (let i = 0; i < 20; i++) {
      const { messages } = await api.get<{ messages: Message[] }>(
        `/api/rooms/${roomId}/messages?after=${after}&limit=100`,
      );
      this.update(roomId, (t) => T.putMessages(t, messages));
      if (messages.length < 100) return;
      after = messages.at(-1)!.seq;
    }
  }

  async edit(roomId: string, seq: number, text: string): Promise<void> {
    const { message } = await api.patch<{ message: Message }>(`/api/rooms/${roomId}/messages/${seq}`, { text });
    this.update(roomId, (tl) => T.putMessages(tl, [message]));
  }

  /** Adds (`on`) or takes back my reaction; the answer carries the message's reactions as they now are. */
  async react(roomId: string, seq: number, emoji: string, on: boolean): Promise<void> {
    const url = `/api/rooms/${roomId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`;
    const { reactions } = on
      ? await api.put<{ reactions: ReactionSummary[] }>(url)
      : await api.del<{ reactions: ReactionSummary[] }>(url);
    this.update(roomId, (tl) => {
      const item = tl.items.get(seq);
      return item?.kind === 'message' ? T.putMessages(tl, [{ ...item.message, reactions }]) : tl;
    });
  }

  async remove(roomId: string, seq: number): Promise<void> {
    await api.del(`/api/rooms/${roomId}/messages/${seq}`);
    this.update(roomId, (tl) => T.markDeleted(tl, seq, new Date().toISOString()));
  }

  /** The server cannot replay what we missed in this room (`reset`): its timeline starts over; answers whether it
   * had loaded (and so should load again). */
  restart(roomId: string): boolean {
    const tl = this.peek(roomId);
    if (!tl) return false;
    this.update(roomId, T.restart);
    return tl.loaded;
  }

  /** Forgets what was loaded of a room (left, removed, deleted, or joined again). */
  forget(roomId: string): void {
    this.update(roomId, () => T.emptyTimeline());
  }

  clear(): void {
    for (const roomId of this.stores.keys()) this.forget(roomId);
  }
}
