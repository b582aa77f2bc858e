import type { FailureCounter, FailureWindow } from '../store.js';

/** Failure counts of a single-process store, in memory (they start afresh on restart). */
export class MemoryFailureCounter implements FailureCounter {
  private readonly windows = new Map<string, FailureWindow>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<FailureWindow | null> {
    const window = this.windows.get(key);
    if (!window) return null;
    if (window.resetAt > this.now()) return { ...window };
    this.windows.delete(key);
    return null;
  }

  async add(key: string, windowMs: number): Promise<void> {
    const t = this.now();
    const window = this.windows.get(key);
    if (window && window.resetAt > t) {
      window.count++;
      return;
    }
    this.windows.set(key, { count: 1, resetAt: t + windowMs });
    if (this.windows.size > 100_000) for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
  }
}
