import type { FailureCounter, FailureWindow, PresenceBoard, PresenceChange, PublicUser, Signal, SignalBus } from './store.js';

/** A set of listeners. emit() calls each one; one that throws affects neither the caller nor the other listeners. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  /** Adds a listener; the returned function removes it. */
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(value: T): void {
    for (const listener of this.set) {
      try {
        listener(value);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}

/** The signal bus of a single-process store: a signal goes straight to this process's listeners. */
export class LocalSignals implements SignalBus {
  private readonly listeners: Listeners<Signal>;

  constructor(onListenerError?: (err: unknown) => void) {
    this.listeners = new Listeners(onListenerError);
  }

  publish(signal: Signal): void {
    this.listeners.emit(signal);
  }

  onSignal(listener: (signal: Signal) => void): () => void {
    return this.listeners.add(listener);
  }
}

/** The presence board of a single-process store: this process is every instance there is, so its word is the state. */
export class LocalPresenceBoard implements PresenceBoard {
  private readonly rooms = new Map<string, Set<string>>();
  private readonly listeners: Listeners<PresenceChange>;

  constructor(onListenerError?: (err: unknown) => void) {
    this.listeners = new Listeners(onListenerError);
  }

  async set(roomId: string, user: PublicUser, here: boolean): Promise<void> {
    let room = this.rooms.get(roomId);
    if (here === (room?.has(user.id) === true)) return;
    if (here) {
      if (!room) this.rooms.set(roomId, (room = new Set()));
      room.add(user.id);
    } else {
      room!.delete(user.id);
      if (room!.size === 0) this.rooms.delete(roomId);
    }
    this.listeners.emit({ roomId, user, online: here });
  }

  async online(roomId: string): Promise<Set<string>> {
    return new Set(this.rooms.get(roomId));
  }

  onChange(listener: (change: PresenceChange) => void): () => void {
    return this.listeners.add(listener);
  }
}

/** Failure counts of a single-process store, in memory (they start afresh on restart). */
export class LocalFailureCounter implements FailureCounter {
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
