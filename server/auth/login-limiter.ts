import type { FailureCounter } from '../store/store.js';

/**
 * Limits failed logins per key (an IP, an account) in a fixed window that opens at the first failure. The counts
 * live in the store, so every instance on a shared store enforces one budget.
 */
export class FailureLimiter {
  constructor(
    private readonly counter: FailureCounter,
    /** Keeps this limiter's keys apart from others sharing the counter. */
    private readonly prefix: string,
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  async retryAfter(key: string): Promise<number> {
    const window = await this.counter.get(this.prefix + key);
    if (!window || window.count < this.max) return 0;
    return Math.max(1, Math.ceil((window.resetAt - Date.now()) / 1000));
  }

  fail(key: string): Promise<void> {
    return this.counter.add(this.prefix + key, this.windowMs);
  }

  succeed(key: string): Promise<void> {
    return this.counter.clear(this.prefix + key);
  }
}
