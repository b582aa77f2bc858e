import type { Subscriber } from './subscriber.js';

/** How long one turn may spend handing frames to sockets before it lets other work in (a fan-out to 10,000 streams
 * costs tens of milliseconds of socket writes). */
const FLUSH_SLICE_MS = 8;

/**
 * Collects the subscribers written to during one event-loop turn and flushes each once at its end, so the frames due
 * to one stream in a turn (a group commit of several events, a replayed page, an event and a receipt) leave as one
 * buffer in one socket write instead of one write each. With `flushMs` > 0 the flush waits that long, so frames of
 * later turns join the same write (SSE_FLUSH_MS; it adds that much latency to every frame).
 *
 * A flush that takes longer than FLUSH_SLICE_MS goes on in the next turn, so requests are served in between; a stream
 * still waiting keeps its frames in order (they stay queued behind it), and what it is written meanwhile joins them.
 */
export class WriteBatch {
  private dirty: Subscriber[] = [];
  /** Where the flush under way has got to in `flushing`. */
  private flushing: Subscriber[] = [];
  private next = 0;
  private scheduled = false;

  constructor(private readonly flushMs = 0) {}

  /** The subscriber has frames waiting; they are flushed at the end of this turn (or after `flushMs`). */
  add(sub: Subscriber): void {
    this.dirty.push(sub);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.next < this.flushing.length) setImmediate(this.flush);
    else if (this.flushMs > 0) setTimeout(this.flush, this.flushMs);
    else queueMicrotask(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.next >= this.flushing.length) {
      this.flushing = this.dirty;
      this.dirty = [];
      this.next = 0;
    }
    const started = performance.now();
    const list = this.flushing;
    while (this.next < list.length) {
      list[this.next++]!.flush();
      if ((this.next & 255) === 0 && performance.now() - started > FLUSH_SLICE_MS) break;
    }
    if (this.next < list.length || this.dirty.length > 0) this.schedule();
  };
}
