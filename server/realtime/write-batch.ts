import type { Subscriber } from './subscriber.js';

/**
 * How long one turn may spend handing frames to sockets before it lets other work in (a fan-out to 10,000 streams
 * costs tens of milliseconds of socket writes). Short, because Node (libuv 1.45 on) accepts one connection per
 * event-loop iteration: every iteration a slice lengthens slows a reconnect storm's accepts, and once the listen
 * queue is full the kernel turns clients away to TCP's retries (1, 3, 7 s). With 8 ms slices a 10,000-member storm
 * was accepted at 50-300 connections a second; with 0.5 ms, no connection was turned away.
 */
const FLUSH_SLICE_MS = 0.5;

/** Passes that wrote for less than this are followed at once: holding them would add a timer's latency (1 ms or more)
 * to small rooms for nothing. */
const MIN_HOLD_MS = 1;

/** The longest a pass is held back, whatever the one before it cost. */
const MAX_HOLD_MS = 250;

/**
 * Passes are held only while writing has taken more than this share of the last second or so. Holding after every
 * long pass also held a room's messages behind its presence and receipt passes at low rates (p99 at 10,000 members
 * and 2 msg/s: 253 ms, against 145 ms held only above half).
 */
const HOLD_ABOVE_DUTY = 0.5;

/**
 * Stream opens in about the last second above which the server is in a storm: everyone coming back at once, as after
 * a restart. Far above what people opening tabs make on one server; a 10,000-member storm opens 1,000-3,000 a second.
 * A server with many streams needs more: STORM_OPENS_SHARE of them (so one with 100,000 streams turning over a few
 * hundred a second is not in a storm for good, its messages held).
 */
export const STORM_OPENS_PER_S = 200;
export const STORM_OPENS_SHARE = 0.05;

/**
 * In a storm every pass, however cheap, is held this long. The streams already live then take the messages of 150 ms
 * in one write instead of one write each, and the loop meanwhile spends its iterations on accepting and opening.
 * In a 10,000-member reconnect storm this cut the time until all were live from 9.2-9.6 s to 6.1-6.2 s, for a
 * delivery p50 to the live streams of 150-210 ms instead of 70-110 ms while it lasts (held 100 ms: 6.7-7.0 s; 250 ms:
 * 5.6-5.8 s).
 */
export const STORM_HOLD_MS = 150;

/**
 * A stream younger than this is never held by a storm: its head and the tail of its replay go out at the end of their
 * turn, so a client waiting for its stream is not kept waiting for the storm's sake. Held, 10,000 members opening
 * their streams 128 at a time took 12.9 s instead of 4.1 s; with this, 4.6 s.
 */
export const FRESH_MS = 1000;

/**
 * Collects the subscribers written to during one event-loop turn and flushes each once at its end, so the frames due
 * to one stream in a turn (a group commit of several events, a replayed page, an event and a receipt) leave as one
 * buffer in one socket write instead of one write each. With `flushMs` > 0 the flush waits that long, so frames of
 * later turns join the same write (SSE_FLUSH_MS; it adds that much latency to every frame).
 *
 * A flush that takes longer than FLUSH_SLICE_MS goes on in the next turn, so requests are served in between; a stream
 * still waiting keeps its frames in order (they stay queued behind it), and what it is written meanwhile joins them.
 *
 * Past what one pass can write, the window widens by itself: while writing takes more than half of the thread, a pass
 * that spent W ms writing is followed by the next no sooner than W ms after it ended. A socket write costs the same
 * for one frame or several, and in a room of 10,000 streams it is most of a delivery's cost (one pass is 50-100 ms of
 * write calls), so the messages posted meanwhile go out together, one write per stream instead of one per message,
 * and stream opens and requests keep the other half. A pass over a few hundred streams costs under a millisecond and
 * is never held.
 *
 * In a storm (more than STORM_OPENS_PER_S stream opens in about the last second, and more than STORM_OPENS_SHARE of
 * the open streams) every pass is held STORM_HOLD_MS, but a stream younger than FRESH_MS is still written at the end
 * of its turn.
 */
export class WriteBatch {
  private dirty: Subscriber[] = [];
  /** Young streams written to in a storm's hold (from `freshNext` on): flushed at the end of the turn all the same. */
  private fresh: Subscriber[] = [];
  private freshNext = 0;
  private freshScheduled = false;
  /** Where the flush under way has got to in `flushing`. */
  private flushing: Subscriber[] = [];
  private next = 0;
  private scheduled = false;
  /** Time spent writing in the pass under way (its slices), and when the next pass may start. */
  private passMs = 0;
  private holdUntil = 0;
  /** The share of recent wall time spent writing (passes' write time, decaying over about a second). */
  private duty = 0;
  private dutyAt = 0;
  /** Stream opens in about the last second (a count decaying with a time constant of one second). */
  private opens = 0;
  private opensAt = 0;
  /** Streams open when the last one opened. */
  private streams = 0;
  /** Whether the hold under way is a storm's. */
  private stormHold = false;

  /** @param holdAboveDuty HOLD_ABOVE_DUTY (a test passes 0 to hold after every pass of a millisecond or more) */
  constructor(
    private readonly flushMs = 0,
    private readonly holdAboveDuty = HOLD_ABOVE_DUTY,
  ) {}

  /** A stream opened, making `openStreams`: enough of them within a second make a storm, which holds passes. */
  streamOpened(openStreams: number): void {
    const now = performance.now();
    this.opens = decayed(this.opens, this.opensAt, now) + 1;
    this.opensAt = now;
    this.streams = openStreams;
  }

  /** The subscriber has frames waiting; they are flushed at the end of this turn (or after `flushMs`). */
  add(sub: Subscriber): void {
    if (this.stormHold && performance.now() - sub.openedAt < FRESH_MS) {
      this.fresh.push(sub);
      if (!this.freshScheduled) {
        this.freshScheduled = true;
        queueMicrotask(this.flushFresh);
      }
      return;
    }
    this.dirty.push(sub);
    this.schedule();
  }

  /** In slices like a pass: in a connect storm the young streams are a second's opens, each taking every message. */
  private readonly flushFresh = (): void => {
    this.freshScheduled = false;
    this.freshNext = flushSlice(this.fresh, this.freshNext);
    if (this.freshNext < this.fresh.length) {
      this.freshScheduled = true;
      setImmediate(this.flushFresh);
    } else {
      this.fresh = [];
      this.freshNext = 0;
    }
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.next < this.flushing.length) return void setImmediate(this.flush);
    const held = this.holdUntil - performance.now();
    if (held >= MIN_HOLD_MS || this.flushMs > 0) setTimeout(this.flush, Math.max(held, this.flushMs));
    else queueMicrotask(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.next >= this.flushing.length) {
      this.flushing = this.dirty;
      this.dirty = [];
      this.next = 0;
      this.passMs = 0;
    }
    const started = performance.now();
    const list = this.flushing;
    this.next = flushSlice(list, this.next);
    const now = performance.now();
    this.passMs += now - started;
    if (this.next >= list.length) {
      // The pass is done: how long it wrote in all decides whether the next one waits.
      this.duty = decayed(this.duty, this.dutyAt, now) + this.passMs / 1000;
      this.dutyAt = now;
      const opens = decayed(this.opens, this.opensAt, now);
      const storm = opens > Math.max(STORM_OPENS_PER_S, STORM_OPENS_SHARE * this.streams);
      this.stormHold = storm;
      if (storm) this.holdUntil = now + STORM_HOLD_MS;
      else this.holdUntil = this.duty > this.holdAboveDuty ? now + Math.min(this.passMs, MAX_HOLD_MS) : 0;
    }
    if (this.next < list.length || this.dirty.length > 0) this.schedule();
  };
}

/** `value`, as of `at`, decayed to `now` with a time constant of one second: a count over about the last second. */
function decayed(value: number, at: number, now: number): number {
  return value * Math.exp(-(now - at) / 1000);
}

/** Flushes `list` from `from` on for about FLUSH_SLICE_MS at most; returns where it stopped. */
function flushSlice(list: Subscriber[], from: number): number {
  const started = performance.now();
  let next = from;
  while (next < list.length) {
    list[next++]!.flush();
    if ((next & 31) === 0 && performance.now() - started > FLUSH_SLICE_MS) break;
  }
  return next;
}
