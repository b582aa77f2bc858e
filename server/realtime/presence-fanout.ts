import { encodeEphemeral } from './frame.js';
import type { PresenceEntry } from './presence-event.js';

export type { PresenceEntry, PresenceEvent } from './presence-event.js';

/** A stream as the fan-out sees it: whose it is, and where its frames go. */
export interface PresenceTarget {
  readonly userId: string;
  write(frame: Buffer): unknown;
}

export interface PresenceFanoutOptions<T extends PresenceTarget> {
  /** Changes in a room are collected this long and go out as one event. */
  windowMs: number;
  /** Above this many members online, a room sends counts and watched people only. */
  fullLimit: number;
  /** Ids of the users online in the room now (the board): read once per room per window. */
  online: (roomId: string) => Promise<Set<string>>;
  /** The streams following the room on this instance. */
  targets: (roomId: string) => Iterable<T> | undefined;
  report: (err: unknown, roomId: string) => void;
  /** A timer (tests pass their own clock); returns its cancel. */
  schedule?: (run: () => void, ms: number) => () => void;
}

/** People one user may watch per room. */
export const MAX_WATCHED = 200;

interface RoomState<T> {
  /** Users whose state the board changed in this window, with the state they had before it. */
  changed: Map<string, boolean>;
  /** Streams that started following the room since the last event: they get a snapshot. */
  fresh: Set<T>;
  /** Every stream gets a snapshot (changes may have been lost). */
  everyone: boolean;
  cancel: (() => void) | null;
  flushing: boolean;
  /** What the room's streams were last told: the count and whether the room was big. */
  count: number | null;
  big: boolean | null;
  /** Per user with a stream here: the people they asked about. */
  watches: Map<string, Set<string>>;
}

const defaultSchedule = (run: () => void, ms: number) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Coalesces presence per room. Board changes are collected for a window; when it closes the room's online set is
 * read once, and every stream gets at most one `presence` event: in a small room one shared frame listing every
 * change, in a big one the count plus only the changes of the people that stream's user watches. A user who flapped
 * within the window is reported by the state they ended in, or not at all. So N people connecting at once cost each
 * stream a few events, not N. State lives only for rooms followed here (dropped with their last stream) and watches
 * only for users with a stream in the room.
 */
export class PresenceFanout<T extends PresenceTarget> {
  private readonly rooms = new Map<string, RoomState<T>>();
  private readonly schedule: (run: () => void, ms: number) => () => void;
  private stopped = false;

  constructor(private readonly opts: PresenceFanoutOptions<T>) {
    this.schedule = opts.schedule ?? defaultSchedule;
  }

  /** A stream started following the room: it learns the room's state at the next window. */
  joined(roomId: string, target: T): void {
    this.room(roomId).fresh.add(target);
    this.due(roomId);
  }

  /** The board reports a user's state in a room (a state, not a toggle: it may repeat). */
  changed(roomId: string, userId: string, online: boolean): void {
    const st = this.rooms.get(roomId);
    if (!st) return; // no stream follows the room here: nobody to tell
    if (!st.changed.has(userId)) st.changed.set(userId, !online);
    this.due(roomId);
  }

  /** Changes may have been lost (the feed had a gap): every stream of every room gets a snapshot. */
  resync(): void {
    for (const roomId of this.rooms.keys()) {
      this.rooms.get(roomId)!.everyone = true;
      this.due(roomId);
    }
  }

  /** Replaces the people `userId` watches in the room (only while they have a stream in it here). */
  watch(roomId: string, userId: string, ids: readonly string[]): void {
    const st = this.rooms.get(roomId);
    if (!st) return;
    if (ids.length === 0) st.watches.delete(userId);
    else st.watches.set(userId, new Set(ids.slice(0, MAX_WATCHED)));
  }

  watched(roomId: string, userId: string): ReadonlySet<string> | undefined {
    return this.rooms.get(roomId)?.watches.get(userId);
  }

  /** The user's last stream here left the room: forget what they watched. */
  forgetUser(roomId: string, userId: string): void {
    this.rooms.get(roomId)?.watches.delete(userId);
  }

  /** No stream follows the room here any more. */
  dropRoom(roomId: string): void {
    const st = this.rooms.get(roomId);
    st?.cancel?.();
    this.rooms.delete(roomId);
  }

  stop(): void {
    this.stopped = true;
    for (const st of this.rooms.values()) st.cancel?.();
    this.rooms.clear();
  }

  /** Rooms with state here (for tests and bounds). */
  get size(): number {
    return this.rooms.size;
  }

  private room(roomId: string): RoomState<T> {
    let st = this.rooms.get(roomId);
    if (!st) {
      st = {
        changed: new Map(),
        fresh: new Set(),
        everyone: false,
        cancel: null,
        flushing: false,
        count: null,
        big: null,
        watches: new Map(),
      };
      this.rooms.set(roomId, st);
    }
    return st;
  }

  /** Opens the room's window unless one is open or an event is being made (it reopens one when done). */
  private due(roomId: string): void {
    const st = this.rooms.get(roomId);
    if (!st || st.cancel || st.flushing || this.stopped) return;
    st.cancel = this.schedule(() => void this.flush(roomId), this.opts.windowMs);
  }

  /** Closes the room's window: one board read, at most one event per stream. */
  async flush(roomId: string): Promise<void> {
    const st = this.rooms.get(roomId);
    if (!st || st.flushing) return;
    st.cancel?.();
    st.cancel = null;
    const { changed, fresh, everyone } = st;
    st.changed = new Map();
    st.fresh = new Set();
    st.everyone = false;
    st.flushing = true;
    let online: Set<string>;
    try {
      online = await this.opts.online(roomId);
    } catch (err) {
      this.opts.report(err, roomId);
      // Try again next window with what this one had (later reports of the same user keep the earliest "before").
      for (const [id, before] of changed) if (!st.changed.has(id)) st.changed.set(id, before);
      for (const t of fresh) st.fresh.add(t);
      st.everyone ||= everyone;
      return;
    } finally {
      st.flushing = false;
      if (this.rooms.get(roomId) === st && (st.changed.size > 0 || st.fresh.size > 0 || st.everyone)) this.due(roomId);
    }
    if (this.rooms.get(roomId) !== st) return; // the room's last stream left meanwhile
    this.send(roomId, st, online, changed, fresh, everyone);
  }

  private send(
    roomId: string,
    st: RoomState<T>,
    online: Set<string>,
    changed: Map<string, boolean>,
    fresh: Set<T>,
    everyone: boolean,
  ): void {
    const count = online.size;
    const big = count > this.opts.fullLimit;
    const wasBig = st.big;
    const countChanged = count !== st.count;
    st.count = count;
    st.big = big;
    const changes: PresenceEntry[] = [];
    for (const [userId, before] of changed) {
      const now = online.has(userId);
      if (now !== before) changes.push({ userId, online: now });
    }
    const targets = this.opts.targets(roomId) ?? [];
    const event = (entries: PresenceEntry[], snapshot: boolean): Buffer =>
      encodeEphemeral('presence', { roomId, online: count, changes: entries, complete: !big, snapshot });

    if (!big) {
      // Back from big: the streams knew only their watched people, so everyone gets the whole picture.
      const all = everyone || wasBig === true;
      let snapshot: Buffer | null = null;
      const patch = changes.length > 0 || countChanged ? event(changes, false) : null;
      for (const t of targets) {
        if (all || fresh.has(t))
          t.write(
            (snapshot ??= event(
              [...online].map((userId) => ({ userId, online: true })),
              true,
            )),
          );
        else if (patch) t.write(patch);
      }
      return;
    }
    // A big room: frames differ by watcher, so they are made per user (their tabs share one).
    const frames = new Map<string, Buffer | null>();
    let bare: Buffer | null = null;
    let bareSnapshot: Buffer | null = null;
    for (const t of targets) {
      const snap = everyone || fresh.has(t);
      const watched = st.watches.get(t.userId);
      if (!watched) {
        // Most of a big room watches nobody: one shared frame, no per-user key (10,000 streams in one turn).
        const frame = snap ? (bareSnapshot ??= event([], true)) : countChanged ? (bare ??= event([], false)) : null;
        if (frame) t.write(frame);
        continue;
      }
      const key = `${snap ? 's' : 'p'}${t.userId}`;
      let frame = frames.get(key);
      if (frame === undefined) {
        let entries: PresenceEntry[];
        if (snap) entries = [...watched].map((userId) => ({ userId, online: online.has(userId) }));
        else entries = changes.filter((c) => watched.has(c.userId));
        if (entries.length > 0) frame = event(entries, snap);
        else if (snap) frame = bareSnapshot ??= event([], true);
        else if (countChanged) frame = bare ??= event([], false);
        else frame = null; // nothing this stream asked about changed, nor the count
        frames.set(key, frame);
      }
      if (frame) t.write(frame);
    }
  }
}
