/**
 * At most `limit` of the guarded operations at once; the others wait in order. Waiting here costs nothing of the
 * driver's time budget (an operation's timeoutMS starts when it is sent), so a burst queues instead of timing out
 * in the connection pool, and leaves connections free for everything else.
 */
export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await op();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
