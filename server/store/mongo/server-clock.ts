/**
 * The database server's clock as this instance sees it: Date.now() plus an offset learnt from hello's localTime
 * (half the round trip added). Expiry and staleness are judged by the server's clock, so instances whose own clocks
 * disagree still agree on them.
 */
export class ServerClock {
  private offsetMs = 0;

  constructor(private readonly localTime: () => Promise<Date>) {}

  /** Asks the server for its time; returns it and keeps the offset for now(). */
  async sync(): Promise<Date> {
    const sent = Date.now();
    const at = await this.localTime();
    const received = Date.now();
    this.offsetMs = at.getTime() + (received - sent) / 2 - received;
    return at;
  }

  /** The server's time now (ms), as of the last sync(). */
  now(): number {
    return Date.now() + this.offsetMs;
  }
}
