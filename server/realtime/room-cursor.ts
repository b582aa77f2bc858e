import type { EncodedEvent } from './frame.js';

/** Why a stream is told to refetch a room's history instead of receiving the missing events. */
export type ResetReason =
  /** Live events arrived ahead of what the store would show, for too long. */
  | 'gap'
  /** The resume position is further behind the room head than the server replays. */
  | 'too-old'
  /** The resume position is ahead of the room head: it never existed here. */
  | 'unknown-position';

/** What became of a live event offered to a cursor. */
export type LiveOutcome =
  /** Written now. */
  | 'sent'
  /** At or behind the position (already written, or skipped by a reset): dropped. */
  | 'duplicate'
  /** Kept until the replay under way is ready. */
  | 'held'
  /** Ahead of the position while live: kept, and the cursor now replays; its owner must read the missing range. */
  | 'gap'
  /** The cursor already holds its bound of live events: its owner drops the subscriber, which resumes later. */
  | 'overflow'
  /** The cursor is closed. */
  | 'closed';

/** What a cursor asks of its owner when told the replay has reached the end of the store. */
export type ReadyOutcome =
  /** Every held event went out and the cursor is live. A replayed event may have ended the membership (a leave or
   * a deletion), in which case the owner checks it. */
  | { state: 'live'; membershipInDoubt: boolean }
  /** The feed may have lost events during the replay: read the store once more before going live. */
  | { state: 'again' }
  /** Held events are still ahead of what the store showed: read it again a little later. `newest` is the newest. */
  | { state: 'gap'; newest: number }
  | { state: 'closed' };

/** Writes one stored event to the stream: `fromHistory` is true for replayed events, false for live ones. */
export type CursorWrite = (enc: EncodedEvent, fromHistory: boolean) => void;

/**
 * Where one stream stands in one room, and the rule that every event with seq > the resume position is written
 * exactly once, in seq order (replay first, then live).
 *
 * A cursor starts replaying. Its owner reads pages of the store after `seq` and passes them to `replayed()`, while
 * live events from the feed go to `live()` and are held; `ready()` then writes the held events that follow on and
 * goes live. Live, an event that follows the position is written at once, an older one is a duplicate, and a newer
 * one means a gap: the cursor holds it and replays again. The cursor never reads the store itself, so its rules can
 * be tested without sockets or a database.
 */
export class RoomCursor {
  private position: number;
  private replaying = true;
  private held: EncodedEvent[] = [];
  private readAgain = false;
  private inDoubt = false;
  private ended = false;

  constructor(
    after: number,
    private readonly write: CursorWrite,
    /** Live events the cursor may hold while it replays. */
    private readonly maxHeld: number,
  ) {
    this.position = after;
  }

  /** The seq of the last event written (or the position the stream started or was reset at). */
  get seq(): number {
    return this.position;
  }

  get isReplaying(): boolean {
    return this.replaying;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** A committed event of this room, from the feed. */
  live(enc: EncodedEvent): LiveOutcome {
    if (this.ended) return 'closed';
    const seq = enc.event.seq;
    if (seq <= this.position) return 'duplicate';
    if (this.replaying) {
      if (this.held.length >= this.maxHeld) return 'overflow';
      this.held.push(enc);
      return 'held';
    }
    if (seq === this.position + 1) {
      this.emit(enc, false);
      return 'sent';
    }
    this.replaying = true;
    this.held.push(enc);
    return 'gap';
  }

  /** A page read from the store after `seq`, ascending. Writes what follows on; returns how many it wrote. */
  replayed(page: readonly EncodedEvent[]): number {
    let written = 0;
    for (const enc of page) {
      if (this.ended) break;
      const { seq, type } = enc.event;
      if (seq <= this.position) continue;
      // The store never has gaps: stop rather than skip.
      if (seq !== this.position + 1) break;
      this.emit(enc, true);
      written++;
      if (type === 'room.deleted' || type === 'member.left') this.inDoubt = true;
    }
    return written;
  }

  /**
   * A run of a page that follows on from the position (ascending, no gaps), written as one piece by `writeRun` (its
   * frames joined once and shared by every stream that replays the same run). False, writing nothing, when the run
   * does not follow on; the caller passes it to `replayed` instead.
   */
  replayedRun(run: readonly EncodedEvent[], writeRun: (run: readonly EncodedEvent[]) => void): boolean {
    if (this.ended || run.length === 0) return false;
    const first = run[0]!.event.seq;
    const last = run[run.length - 1]!.event.seq;
    if (first !== this.position + 1 || last - first !== run.length - 1) return false;
    this.position = last;
    if (run.some(({ event }) => event.type === 'room.deleted' || event.type === 'member.left')) this.inDoubt = true;
    writeRun(run);
    return true;
  }

  /** The replay has reached the end of the store: write the held events that follow on; live when none is left. */
  ready(): ReadyOutcome {
    if (this.ended) return { state: 'closed' };
    if (this.readAgain) {
      // The page just read may predate a commit the feed lost.
      this.readAgain = false;
      return { state: 'again' };
    }
    const held = this.held.sort((a, b) => a.event.seq - b.event.seq);
    this.held = [];
    let i = 0;
    for (; i < held.length && !this.ended; i++) {
      const seq = held[i]!.event.seq;
      if (seq <= this.position) continue;
      if (seq !== this.position + 1) break;
      this.emit(held[i]!, false);
    }
    if (this.ended) return { state: 'closed' };
    if (i < held.length) {
      this.held = held.slice(i);
      return { state: 'gap', newest: held[held.length - 1]!.event.seq };
    }
    this.replaying = false;
    const membershipInDoubt = this.inDoubt;
    this.inDoubt = false;
    return { state: 'live', membershipInDoubt };
  }

  /**
   * Moves the position to `seq` without writing what lies between (the stream is sent a reset and refetches).
   * Held events up to `seq` are dropped when the cursor is next ready.
   */
  skipTo(seq: number): void {
    this.position = seq;
  }

  /**
   * The feed may have lost events: the store must be read again before the cursor is live. Returns true when the
   * cursor was live and now replays (its owner starts the replay); a replay under way reads the store once more.
   */
  resync(): boolean {
    if (this.ended) return false;
    if (this.replaying) {
      this.readAgain = true;
      return false;
    }
    this.replaying = true;
    return true;
  }

  /** The stream no longer follows the room (or has ended): nothing more is written. */
  close(): void {
    this.ended = true;
    this.held = [];
  }

  private emit(enc: EncodedEvent, fromHistory: boolean): void {
    this.position = enc.event.seq;
    this.write(enc, fromHistory);
  }
}
