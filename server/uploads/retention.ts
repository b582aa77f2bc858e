import type { FastifyBaseLogger } from 'fastify';
import type { Store } from '../store/store.js';
import { removeBlobs } from './blobs.js';

/** Removes uploads that no message used within the retention period, rows first, then their bytes. */
export class UploadJanitor {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly retentionMs: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    const every = Math.max(1000, Math.min(this.retentionMs / 4, 10 * 60_000));
    this.timer = setInterval(
      () => void this.sweep().catch((err) => this.log.error({ err }, 'upload cleanup failed')),
      every,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns how many uploads were removed. */
  async sweep(now = Date.now()): Promise<number> {
    const gone = await this.store.removeUnusedUploads(new Date(now - this.retentionMs).toISOString());
    await removeBlobs(
      this.store,
      gone.map((u) => u.id),
    );
    // Blobs whose deletion failed earlier (here or after a message was deleted).
    const left = await this.store.blobs.sweep();
    if (left) this.log.warn({ count: left }, 'upload files still waiting to be deleted');
    if (gone.length) this.log.info({ count: gone.length }, 'removed unused uploads');
    return gone.length;
  }
}
