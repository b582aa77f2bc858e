import { CURSOR_BASE_TOUCH_MS } from '../store/store.js';
import type { RoomCursor } from './room-cursor.js';
import type { CursorBase } from './stream-cursor.js';

export interface StreamIdLimits {
  /** More entries than this and the stream stores its positions as a new base (so ids stay short). */
  maxEntries: number;
  /** A stream stores a new base at most this often: one write per stream at most, whatever the activity. */
  minRebaseMs: number;
  /** A base older than this is stored again (marking it used), so a long-lived stream's ids outlive the TTL. */
  refreshMs: number;
}

export const STREAM_ID_LIMITS: StreamIdLimits = { maxEntries: 8, minRebaseMs: 5000, refreshMs: CURSOR_BASE_TOUCH_MS };

/** Stores a stream's positions as a base (cursor-bases.ts). */
export type SaveBase = (positions: ReadonlyArray<readonly [string, number]>) => Promise<CursorBase>;

/**
 * The id of one multi-room stream (stream-cursor.ts): its base and the rooms where it stands elsewhere. Rooms whose
 * position moved are noted as they move (`moved`), so an id costs the rooms that differ, not every room followed.
 * A stream starts with the base it resumed from (or none: the full form), and stores a new one when its entries
 * grow; ids keep naming the old base until the new one is stored, so every id sent can be resumed from.
 */
export class StreamId {
  private base: CursorBase | null;
  /** Rooms whose position may differ from the base's (or that the base holds and the stream no longer follows). */
  private readonly touched = new Set<string>();
  private saving = false;
  private baseAt = Date.now();
  /** No new base before this (after a save, or a failed one). */
  private notBefore = 0;

  constructor(
    private readonly rooms: ReadonlyMap<string, RoomCursor>,
    private readonly save: SaveBase,
    base: CursorBase | null,
    private readonly limits: StreamIdLimits = STREAM_ID_LIMITS,
  ) {
    this.base = base;
    for (const roomId of base?.rooms ?? []) this.touched.add(roomId);
  }

  /** The room's position moved, or the stream started or stopped following it. */
  moved(roomId: string): void {
    this.touched.add(roomId);
  }

  /** The id for the stream's positions now. */
  current(): string {
    const base = this.base;
    const entries: string[] = [];
    for (const roomId of this.touched) {
      const cursor = this.rooms.get(roomId);
      const i = base?.index.get(roomId);
      if (cursor) {
        if (i !== undefined && base!.seqs[i] === cursor.seq) this.touched.delete(roomId);
        else entries.push(`${i ?? roomId}:${cursor.seq}`);
      } else if (i !== undefined) entries.push(`${i}:-`);
      else this.touched.delete(roomId);
    }
    const now = Date.now();
    const { maxEntries, refreshMs } = this.limits;
    if ((entries.length > (base ? maxEntries : 0) || (base && now - this.baseAt > refreshMs)) && now >= this.notBefore)
      this.rebase(now);
    if (!base) return entries.join(',');
    return entries.length === 0 ? base.id : `${base.id}.${entries.join(',')}`;
  }

  /** Stores the positions now as the new base; ids use it once it is stored. */
  private rebase(now: number): void {
    if (this.saving) return;
    this.saving = true;
    this.notBefore = now + this.limits.minRebaseMs;
    const positions: [string, number][] = [];
    for (const [roomId, cursor] of this.rooms) if (!cursor.closed) positions.push([roomId, cursor.seq]);
    this.save(positions).then(
      (base) => {
        this.saving = false;
        this.base = base;
        this.baseAt = Date.now();
        // Compared afresh on the next id: every room followed, and the base's rooms no longer followed.
        for (const roomId of this.rooms.keys()) this.touched.add(roomId);
        for (const roomId of base.rooms) this.touched.add(roomId);
      },
      // The store cannot take it now: ids keep the old base (or the full form), and it is tried again later.
      () => {
        this.saving = false;
      },
    );
  }
}
