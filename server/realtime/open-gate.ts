/**
 * Lets at most `perTurn` stream opens through per event-loop turn; the rest wait, in arrival order, for the turns
 * after. A reconnect storm (every member of a big room coming back at once after a restart) is then authenticated
 * and caught up in bounded batches, and the requests that arrive meanwhile (messages being posted) are served
 * between the batches instead of after the whole storm.
 */
export class OpenGate {
  private admitted = 0;
  /** Waiting opens from `head` on (an index, not shift(): a storm queues thousands). */
  private waiting: Array<() => void> = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly perTurn: number) {}

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

  /** A new turn: the count starts again, and the next batch of waiting opens goes ahead. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
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
      if (this.queued > 0 || this.admitted > 0) this.schedule();
    });
  }
}

function noop(): void {}
