/**
 * Above this, an event-loop turn counts as long: the gate lets fewer opens through in the next one. Short, because
 * Node accepts one connection per loop iteration (libuv 1.45 on): the longer the iterations, the slower a storm's
 * connections come in, and the listen queue overflows (see write-batch.ts). 20 ms turned 10,000-18,000 SYNs away in
 * a 10,000-member storm; 2 ms none.
 */
const LONG_TURN_MS = 2;

/** The first batch after a quiet spell, at most. */
const START_PER_TURN = 16;

/**
 * Lets stream opens through in batches, one batch per event-loop turn; the rest wait, in arrival order, for the turns
 * after. A reconnect storm (every member of a big room coming back at once after a restart) is then authenticated
 * and caught up in bounded batches, and the requests that arrive meanwhile (messages being posted) are served
 * between the batches instead of after the whole storm.
 *
 * The batch follows the loop: it grows by a quarter after each turn that took at most LONG_TURN_MS and halves after
 * one that took longer, between 4 and `maxPerTurn` (STREAM_OPENS_PER_TURN). A fixed size is wrong both ways: what
 * an open costs, and what else a turn carries (a fan-out to thousands of streams, a batch of receipts), varies ten-fold
 * within one storm; a batch small enough for the worst turn is too small once the storm's replays are done.
 */
export class OpenGate {
  private admitted = 0;
  /** Waiting opens from `head` on (an index, not shift(): a storm queues thousands). */
  private waiting: Array<() => void> = [];
  private head = 0;
  private scheduled = false;
  private perTurn: number;
  private readonly minPerTurn: number;
  /** When the batch before began, while batches follow each other (0 after a quiet spell). */
  private lastBatch = 0;

  /** @param longTurnMs what counts as a long turn (LONG_TURN_MS; tests on a loaded machine pass more). */
  constructor(
    private readonly maxPerTurn: number,
    private readonly longTurnMs = LONG_TURN_MS,
  ) {
    this.minPerTurn = Math.min(4, maxPerTurn);
    this.perTurn = Math.min(START_PER_TURN, maxPerTurn);
  }

  /** Resolves when this open may go ahead. */
  enter(): Promise<void> {
    if (this.queued === 0 && this.admitted < this.perTurn) {
      this.admitted++;
      this.schedule();
      return Promise.resolve();
    }
    const admitted = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.schedule();
    return admitted;
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Opens let through in the current turn, at most (adapted after each turn). */
  get batchSize(): number {
    return this.perTurn;
  }

  /** A new turn: the count starts again, and the next batch of waiting opens goes ahead. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pace();
      this.admitted = 0;
      while (this.admitted < this.perTurn && this.queued > 0) {
        this.admitted++;
        const resolve = this.waiting[this.head]!;
        this.waiting[this.head++] = noop;
        resolve();
      }
      if (this.queued === 0) {
        this.waiting = [];
        this.head = 0;
      }
      if (this.queued > 0 || this.admitted > 0) return this.schedule();
      // Quiet: the next storm's first batch, let in by enter() before any turn of ours, is no bigger than 16.
      this.lastBatch = 0;
      this.perTurn = Math.min(this.perTurn, START_PER_TURN);
    });
  }

  /** Sizes this turn's batch from how long the turn since the last batch took (the loop runs one batch per turn). */
  private pace(): void {
    const now = performance.now();
    if (this.lastBatch > 0) {
      if (now - this.lastBatch > this.longTurnMs) this.perTurn = Math.max(this.minPerTurn, this.perTurn >> 1);
      else this.perTurn = Math.min(this.maxPerTurn, this.perTurn + Math.max(1, this.perTurn >> 2));
    }
    this.lastBatch = now;
  }
}

function noop(): void {}
