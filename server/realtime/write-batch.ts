import type { Subscriber } from './subscriber.js';

/**
 * Collects the subscribers written to during one event-loop turn and flushes each once at its end, so the frames due
 * to one stream in a turn (a group commit of several events, a replayed page, an event and a receipt) leave as one
 * buffer in one socket write instead of one write each. With `flushMs` > 0 the flush waits that long, so frames of
 * later turns join the same write (SSE_FLUSH_MS; it adds that much latency to every frame).
 */
export class WriteBatch {
  private dirty: Subscriber[] = [];
  private scheduled = false;

  constructor(private readonly flushMs = 0) {}

  /** The subscriber has frames waiting; they are flushed at the end of this turn (or after `flushMs`). */
  add(sub: Subscriber): void {
    this.dirty.push(sub);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.flushMs > 0) setTimeout(this.flush, this.flushMs);
    else queueMicrotask(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const sub of dirty) sub.flush();
  };
}
