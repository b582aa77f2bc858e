import type { ConcurrencyLimit } from '../concurrency-limit.js';
import type { Store } from '../store/store.js';
import { encodeEvents, type EncodedEvent } from './frame.js';
import type { CachedPage, ReplayCache } from './replay-cache.js';

interface Read {
  /** When it began, on the hub's clock of joins and reads (see `after`). */
  startedAt: number;
  page: Promise<EncodedEvent[]>;
}

/**
 * Where a replaying cursor's pages come from: the replay cache when it holds them, else one store read shared by every
 * cursor that needs the same page at the same time, encoded once and added to the cache.
 *
 * Sharing a read is safe only for a cursor that was already following the room when the read began: events
 * committed after the read's snapshot then reach that cursor live (held until its replay is done). `since` is the
 * tick at which the cursor started following; reads that began before it are not shared with it.
 */
export class ReplayPages {
  private readonly reads = new Map<string, Read>();
  private ticks = 0;

  constructor(
    private readonly store: Store,
    private readonly cache: ReplayCache,
  ) {}

  /** A tick of the clock `after` compares reads with: take one when a cursor starts following a room. */
  tick(): number {
    return ++this.ticks;
  }

  /** Up to `limit` events after `after`, and whether they reach the room's head as this instance knows it. */
  async after(
    roomId: string,
    after: number,
    limit: number,
    since: number,
    gate?: ConcurrencyLimit,
  ): Promise<CachedPage> {
    const hit = this.cache.read(roomId, after, limit);
    if (hit && (hit.events.length > 0 || hit.atHead)) return hit;
    const key = `${roomId}:${after}:${limit}`;
    let read = this.reads.get(key);
    if (!read || read.startedAt < since) {
      const version = this.cache.version;
      const load = () => this.store.eventsAfter(roomId, after, limit);
      const current: Read = {
        startedAt: this.tick(),
        page: (gate ? gate.run(load) : load()).then((events) => {
          const page = encodeEvents(events);
          this.cache.fill(roomId, page, version, page.length < limit);
          return page;
        }),
      };
      read = current;
      this.reads.set(key, current);
      const forget = () => {
        if (this.reads.get(key) === current) this.reads.delete(key);
      };
      current.page.then(forget, forget);
    }
    const events = await read.page;
    return { events, atHead: events.length < limit };
  }
}
