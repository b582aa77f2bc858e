/** What the limiter says about one typing call. */
export type TypingDecision =
  /** Within the limit; `broadcast` is false when a notice went out less than `everyMs` ago (the call is absorbed). */
  | { allowed: true; broadcast: boolean }
  /** Over the limit: answer 429 and let the client retry after this many seconds. */
  | { allowed: false; retryAfterS: number };

/**
 * Typing notices per user and room: broadcast at most once per `everyMs` (more calls are absorbed), and at most
 * `perMinute` calls per minute (then refused). Kept in memory per instance: a notice is ephemeral, and a client
 * that spreads its calls over instances only sends a few more of them.
 */
export class TypingLimiter {
  private readonly entries = new Map<string, { lastSent: number; windowStart: number; calls: number }>();

  constructor(
    readonly everyMs = 2000,
    readonly perMinute = 60,
    /** Entries kept before the map is cleared (a bound on memory; clearing only forgets old windows). */
    private readonly maxEntries = 100_000,
  ) {}

  check(roomId: string, userId: string, now = Date.now()): TypingDecision {
    const key = `${roomId}\0${userId}`;
    let entry = this.entries.get(key);
    if (!entry || now - entry.windowStart > 60_000) {
      if (this.entries.size > this.maxEntries) this.entries.clear();
      this.entries.set(key, (entry = { lastSent: -Infinity, windowStart: now, calls: 0 }));
    }
    if (++entry.calls > this.perMinute) {
      return { allowed: false, retryAfterS: Math.ceil((entry.windowStart + 60_000 - now) / 1000) };
    }
    if (now - entry.lastSent < this.everyMs) return { allowed: true, broadcast: false };
    entry.lastSent = now;
    return { allowed: true, broadcast: true };
  }
}
