/**
 * A value that changes over time and says so: the client's state is a few of these, one per concern (session,
 * rooms, each room's timeline, members, typing, receipts, notices). A value is never mutated: `set` replaces it, so
 * a reader can tell a change by identity and keep what it selected from an older value.
 */
export class Store<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private current: T) {}

  get value(): T {
    return this.current;
  }

  set(next: T): void {
    if (Object.is(next, this.current)) return;
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  update(change: (value: T) => T): void {
    this.set(change(this.current));
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Whether two selections are the same: identical, or arrays / plain objects whose entries are identical (one level
 * down, arrays of entries compare entry by entry too). Selections are small tuples of what an element shows.
 */
export function sameSelection(a: unknown, b: unknown, depth = 2): boolean {
  if (Object.is(a, b)) return true;
  if (depth === 0 || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameSelection(x, b[i], depth - 1));
  }
  const plain = (x: object) => Object.getPrototypeOf(x) === Object.prototype;
  if (Array.isArray(b) || !plain(a) || !plain(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((k) => sameSelection(ra[k], rb[k], depth - 1));
}
