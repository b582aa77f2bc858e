import { CURSOR_BASE_TOUCH_MS, type CursorBaseStore } from '../store/store.js';
import { makeBase, parseBase, parseCursor, resolveCursor, type CursorBase, type ResumePoint } from './stream-cursor.js';

export interface CursorBasesOptions {
  /** Bases kept in memory, and the bytes of their text in all (a base of 1,000 rooms is about 25 KB). */
  maxCached?: number;
  maxBytes?: number;
  /**
   * A base stored or read from the store this recently is not written again; one used from memory after this long is
   * stored again, so the store's copy of a base in daily use never expires (default a day).
   */
  resaveMs?: number;
  /** A failed write. */
  report?: (err: unknown) => void;
}
/**
 * Saves go to the store at most this often, together. A lone save goes at the end of its turn; a storm of new streams
 * (each storing its first base) makes ten writes a second instead of one per turn. In a 10,000-member storm of web
 * members, one commit (with its fsync) a turn had taken 5.5 s of the server's 76 s busy.
 */
const SAVE_EVERY_MS = 100;

interface QueuedSave {
  base: CursorBase;
  done: Promise<CursorBase>;
  resolve: (base: CursorBase) => void;
  reject: (err: unknown) => void;
}

/**
 * The bases of multi-room stream ids (stream-cursor.ts): stored in the store, so ids outlive the process, and kept
 * here for the streams and resumes of this process. Streams of people in the same rooms at the same positions share
 * one base (its id is a hash of its positions): a storm of them stores it once. Concurrent saves and loads of one
 * id share one store call, and saves are written in batches.
 */
export class CursorBases {
  /** Recently used bases (least recently used first), with when this process last stored or read each (either marks
   * it used in the store). */
  private readonly cache = new Map<string, { base: CursorBase; savedAt: number }>();
  private readonly loading = new Map<string, Promise<CursorBase | null>>();
  /** Saves not yet handed to the store, and those it is writing, by id. */
  private readonly saving = new Map<string, QueuedSave>();
  private queued: QueuedSave[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private lastWrite = 0;
  private cachedBytes = 0;
  private readonly maxCached: number;
  private readonly maxBytes: number;
  private readonly resaveMs: number;
  private readonly report: (err: unknown) => void;

  constructor(
    private readonly store: CursorBaseStore,
    opts: CursorBasesOptions = {},
  ) {
    this.maxCached = opts.maxCached ?? 4096;
    this.maxBytes = opts.maxBytes ?? 16 << 20;
    this.resaveMs = opts.resaveMs ?? CURSOR_BASE_TOUCH_MS;
    this.report = opts.report ?? (() => undefined);
  }

  /** Stores these positions as a base; resolves once it is stored (with the other saves of up to SAVE_EVERY_MS). */
  save(positions: ReadonlyArray<readonly [string, number]>): Promise<CursorBase> {
    const base = makeBase(positions);
    const hit = this.cache.get(base.id);
    if (hit && Date.now() - hit.savedAt < this.resaveMs) return Promise.resolve(this.touch(base.id, hit).base);
    return this.enqueue(base);
  }

  private enqueue(base: CursorBase): Promise<CursorBase> {
    const already = this.saving.get(base.id);
    if (already) return already.done;
    let resolve!: (base: CursorBase) => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<CursorBase>((res, rej) => ((resolve = res), (reject = rej)));
    const save = { base, done, resolve, reject };
    this.saving.set(base.id, save);
    this.queued.push(save);
    if (!this.timer) {
      const wait = this.lastWrite + SAVE_EVERY_MS - Date.now();
      this.timer = wait > 0 ? setTimeout(() => this.write(), wait) : setImmediate(() => this.write());
    }
    return done;
  }

  /** Hands the queued saves to the store in one call. */
  private write(): void {
    this.timer = null;
    this.lastWrite = Date.now();
    const batch = this.queued;
    this.queued = [];
    this.store.save(batch.map(({ base }) => ({ id: base.id, text: base.text }))).then(
      () => {
        const now = Date.now();
        for (const save of batch) {
          this.saving.delete(save.base.id);
          save.resolve(this.remember(save.base, now));
        }
      },
      (err: unknown) => {
        this.report(err);
        for (const save of batch) {
          this.saving.delete(save.base.id);
          save.reject(err);
        }
      },
    );
  }

  /** The base stored under `id`; null when the store no longer has it. */
  load(id: string): Promise<CursorBase | null> {
    const hit = this.cache.get(id);
    if (hit) {
      // Resumed from memory: the store does not see the use, so it is told again once a day.
      if (Date.now() - hit.savedAt >= this.resaveMs) this.enqueue(hit.base).catch(() => undefined);
      return Promise.resolve(this.touch(id, hit).base);
    }
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.store.load(id).then((text) => {
        const base = text === null ? null : parseBase(id, text);
        return base && this.remember(base, Date.now());
      });
      this.loading.set(id, pending);
      void pending.finally(() => this.loading.delete(id)).catch(() => undefined);
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
    let entry = this.cache.get(base.id);
    if (!entry) {
      entry = { base, savedAt };
      this.cachedBytes += base.text.length;
    }
    entry.savedAt = Math.max(entry.savedAt, savedAt);
    this.touch(base.id, entry);
    while (this.cache.size > 1 && (this.cache.size > this.maxCached || this.cachedBytes > this.maxBytes)) {
      const [oldest, { base: old }] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      this.cachedBytes -= old.text.length;
    }
    return entry.base;
  }
}
