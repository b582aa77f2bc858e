import type { CursorBaseStore } from '../store/store.js';
import { makeBase, parseBase, parseCursor, resolveCursor, type CursorBase, type ResumePoint } from './stream-cursor.js';

/** A base stored or read this recently is not written again: the store's copy was marked used within a day. */
const RESAVE_MS = 24 * 3600_000;

/**
 * The bases of multi-room stream ids (stream-cursor.ts): stored in the store, so ids outlive the process, and kept
 * here for the streams and resumes of this process. Streams of people in the same rooms at the same positions share
 * one base (its id is a hash of its positions): a storm of them stores it once. Concurrent saves and loads of one
 * id share one store call.
 */
export class CursorBases {
  /** Recently used bases (least recently used first), with when this process last stored or read each (either marks
   * it used in the store). */
  private readonly cache = new Map<string, { base: CursorBase; savedAt: number }>();
  private readonly pending = new Map<string, Promise<CursorBase | null>>();

  constructor(
    private readonly store: CursorBaseStore,
    private readonly maxCached = 4096,
    private readonly report: (err: unknown) => void = () => undefined,
  ) {}

  /** Stores these positions as a base; resolves once it is stored. */
  save(positions: ReadonlyArray<readonly [string, number]>): Promise<CursorBase> {
    const base = makeBase(positions);
    const hit = this.cache.get(base.id);
    if (hit && Date.now() - hit.savedAt < RESAVE_MS) return Promise.resolve(this.touch(base.id, hit).base);
    const key = `save:${base.id}`;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.store.save(base.id, base.text).then(
        () => this.remember(base, Date.now()),
        (err: unknown) => {
          this.report(err);
          throw err;
        },
      );
      this.pending.set(key, pending);
      void pending.finally(() => this.pending.delete(key)).catch(() => undefined);
    }
    return pending as Promise<CursorBase>;
  }

  /** The base stored under `id`; null when the store no longer has it. */
  load(id: string): Promise<CursorBase | null> {
    const hit = this.cache.get(id);
    if (hit) return Promise.resolve(this.touch(id, hit).base);
    const key = `load:${id}`;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.store.load(id).then((text) => {
        const base = text === null ? null : parseBase(id, text);
        return base && this.remember(base, Date.now());
      });
      this.pending.set(key, pending);
      void pending.finally(() => this.pending.delete(key)).catch(() => undefined);
    }
    return pending;
  }

  /**
   * Where a stream resumes from a client's id, and the base to go on with; null when the id is malformed (or names
   * a room its base does not hold).
   */
  async resume(raw: string): Promise<(ResumePoint & { base: CursorBase | null }) | null> {
    const parsed = parseCursor(raw);
    if (!parsed) return null;
    if (parsed.kind === 'full') return { positions: parsed.positions, lost: false, base: null };
    const base = await this.load(parsed.baseId);
    const point = resolveCursor(parsed, base);
    return point && { ...point, base };
  }

  private touch(id: string, entry: { base: CursorBase; savedAt: number }) {
    this.cache.delete(id);
    this.cache.set(id, entry);
    return entry;
  }

  private remember(base: CursorBase, savedAt: number): CursorBase {
    // The copy already cached, if any: streams sharing a base share one object.
    const entry = this.cache.get(base.id) ?? { base, savedAt };
    entry.savedAt = Math.max(entry.savedAt, savedAt);
    this.touch(base.id, entry);
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    return entry.base;
  }
}
