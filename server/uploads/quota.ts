import { fail } from '../errors.js';
import type { Store } from '../store/store.js';

/** Every upload also costs a thumbnail and a row, so even a tiny one counts this much. */
const MIN_CHARGE = 16 * 1024;

interface Held {
  id: string;
  bytes: number;
  at: number;
}

/**
 * Bytes of uploads per user that no message uses yet: the disk a user can fill with images nobody sees. Unused
 * uploads are removed after the retention period; this bounds what they take meanwhile.
 *
 * Kept in this instance's memory, counting the uploads made here: with several instances each allows the quota,
 * and a restart forgets. An exact count over every instance needs the store to answer "bytes of this user's unused
 * uploads" (a Store.unusedUploadBytes(ownerId)); until then the count is checked against the store (getUpload)
 * before it refuses, so uploads a message has used since, on any instance, stop counting.
 */
export class UploadQuota {
  private readonly held = new Map<string, Held[]>();

  constructor(
    private readonly store: Store,
    readonly quotaBytes: number,
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** What `bytes` of upload count against the quota. */
  static charge(bytes: number): number {
    return Math.max(bytes, MIN_CHARGE);
  }

  /** Bytes the user's unused uploads take, as this instance knows them. */
  usage(userId: string): number {
    return this.current(userId).reduce((sum, h) => sum + h.bytes, 0);
  }

  /**
   * Counts upload `id` of `bytes` against the user's quota, or refuses (413 UPLOAD_QUOTA_EXCEEDED) when it would
   * not fit. The last check and the count happen without a pause in between, so parallel uploads cannot overshoot.
   */
  async admit(userId: string, id: string, bytes: number): Promise<void> {
    const charge = UploadQuota.charge(bytes);
    if (this.usage(userId) + charge > this.quotaBytes) {
      await this.refresh(userId);
      const used = this.usage(userId);
      if (used + charge > this.quotaBytes) throw this.exceeded(used);
    }
    const list = this.held.get(userId) ?? [];
    list.push({ id, bytes: charge, at: this.now() });
    this.held.set(userId, list);
  }

  /** Refuses at once when the user has no room left at all (before any work is spent on the upload). */
  async ensureRoom(userId: string): Promise<void> {
    if (this.usage(userId) + MIN_CHARGE <= this.quotaBytes) return;
    await this.refresh(userId);
    const used = this.usage(userId);
    if (used + MIN_CHARGE > this.quotaBytes) throw this.exceeded(used);
  }

  /** Stops counting an upload (it was not stored after all). */
  forget(userId: string, id: string): void {
    const list = this.held.get(userId);
    if (!list) return;
    const rest = list.filter((h) => h.id !== id);
    if (rest.length) this.held.set(userId, rest);
    else this.held.delete(userId);
  }

  private exceeded(used: number) {
    return fail('UPLOAD_QUOTA_EXCEEDED', {
      message:
        `Your unused uploads take ${used} of ${this.quotaBytes} bytes: ` +
        'attach them to a message, or wait until unused ones expire',
      details: { quotaBytes: this.quotaBytes, usedBytes: used },
    });
  }

  /** The user's uploads still within the retention period (older ones are used, or removed by the janitor). */
  private current(userId: string): Held[] {
    const list = this.held.get(userId);
    if (!list) return [];
    const cutoff = this.now() - this.retentionMs;
    const live = list.filter((h) => h.at > cutoff);
    if (live.length !== list.length) {
      if (live.length) this.held.set(userId, live);
      else this.held.delete(userId);
    }
    return live;
  }

  /** Drops the uploads that a message now uses, or that are gone. */
  private async refresh(userId: string): Promise<void> {
    const ids = this.current(userId).map((h) => h.id);
    const done = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100);
      const uploads = await Promise.all(batch.map((id) => this.store.getUpload(id)));
      uploads.forEach((u, k) => {
        if (!u || u.messageSeq !== null) done.add(batch[k]!);
      });
    }
    if (done.size === 0) return;
    // Uploads counted while this ran are kept: only the ones found used or gone are dropped.
    const rest = (this.held.get(userId) ?? []).filter((h) => !done.has(h.id));
    if (rest.length) this.held.set(userId, rest);
    else this.held.delete(userId);
  }
}
