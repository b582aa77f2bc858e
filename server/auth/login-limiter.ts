import type { FailureCounter } from '../store/store.js';

/** An attempt counted against a key's budget; `resetAt` is its window's end (null when the window closed meanwhile). */
export interface Reservation {
  key: string;
  resetAt: number | null;
}

/**
 * Limits attempts per key (an IP, an account from an IP) in a fixed window that opens at the first attempt. The counts
 * live in the store, so every instance on a shared store enforces one budget.
 *
 * An attempt is counted before the work it guards (a password check), not after: otherwise every request that
 * arrives while the first checks are still running sees the old count and gets through. Counting and then reading
 * the count are each atomic, so of any number of concurrent attempts at most `max` are allowed. An attempt that
 * turns out not to be a failure can be refunded (see refund), so the budget counts failures and those in flight.
 */
export class AttemptLimiter {
  constructor(
    private readonly counter: FailureCounter,
    /** Keeps this limiter's keys apart from others sharing the counter. */
    private readonly prefix: string,
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts an attempt; returns it, or the seconds to wait when the key has used its budget. */
  async reserve(key: string): Promise<Reservation | { retryAfter: number }> {
    await this.counter.add(this.prefix + key, this.windowMs);
    const window = await this.counter.get(this.prefix + key);
    if (!window) return { key, resetAt: null };
    const refunded = (await this.counter.get(this.refundKey(key, window.resetAt)))?.count ?? 0;
    if (window.count - refunded <= this.max) return { key, resetAt: window.resetAt };
    return { retryAfter: Math.max(1, Math.ceil((window.resetAt - Date.now()) / 1000)) };
  }

  /**
   * Gives a reserved attempt back. Refunds are counted under a key of the attempt's own window (the counter cannot
   * decrement), so they lapse with it and can never lift a later window's count.
   */
  async refund(reservation: Reservation): Promise<void> {
    if (reservation.resetAt === null) return;
    const left = reservation.resetAt - Date.now();
    if (left > 0) await this.counter.add(this.refundKey(reservation.key, reservation.resetAt), left);
  }

  /** Forgets the key's attempts (a successful sign-in clears that account's failures from that address). */
  clear(key: string): Promise<void> {
    return this.counter.clear(this.prefix + key);
  }

  private refundKey(key: string, resetAt: number): string {
    return `refund:${this.prefix}${resetAt}:${key}`;
  }
}

export function isRefused(r: Reservation | { retryAfter: number }): r is { retryAfter: number } {
  return 'retryAfter' in r;
}
