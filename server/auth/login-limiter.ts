/**
 * Counts failed logins per key (an IP, an account) in a fixed window. In memory and per process: with N instances
 * an attacker gets N times the budget, which still bounds guessing; a shared limiter would need the store.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    const t = this.now();
    if (entry.resetAt <= t) {
      this.failures.delete(key);
      return 0;
    }
    return entry.count >= this.max ? Math.ceil((entry.resetAt - t) / 1000) : 0;
  }

  fail(key: string): void {
    const t = this.now();
    const entry = this.failures.get(key);
    if (!entry || entry.resetAt <= t) {
      this.failures.set(key, { count: 1, resetAt: t + this.windowMs });
      if (this.failures.size > 100_000) this.sweep(t);
    } else {
      entry.count++;
    }
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private sweep(t: number): void {
    for (const [key, entry] of this.failures) if (entry.resetAt <= t) this.failures.delete(key);
  }
}
