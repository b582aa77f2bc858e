import type { mongo } from 'mongoose';
import type { FailureCounter, FailureWindow } from '../store.js';
import type { FailureDoc } from './models.js';

/**
 * Failure counts shared by every instance: one document per key, `{ _id: key, count, resetAt }`.
 *
 * - add() is one atomic upsert with an update pipeline, so concurrent failures on several instances all count: the
 *   window still open (resetAt after the server's $$NOW) gets count + 1, otherwise a new window starts at 1. On an
 *   upsert `$resetAt` is missing, which compares below any date, so it starts a window too.
 * - A TTL index on resetAt removes closed windows (within a minute, the TTL monitor's period); get() also treats a
 *   closed window as none (by the server's clock too), so the limit never outlives its window.
 */
export class MongoFailureCounter implements FailureCounter {
  constructor(private readonly collection: mongo.Collection<FailureDoc>) {}

  async get(key: string): Promise<FailureWindow | null> {
    // Open by the server's clock, the one add() used: instances with skewed clocks agree on the window.
    const doc = await this.collection.findOne({ _id: key, $expr: { $gt: ['$resetAt', '$$NOW'] } });
    if (!doc) return null;
    return { count: doc.count, resetAt: doc.resetAt.getTime() };
  }

  async add(key: string, windowMs: number): Promise<void> {
    const open = { $gt: ['$resetAt', '$$NOW'] };
    await this.collection.updateOne(
      { _id: key },
      [
        {
          $set: {
            count: { $cond: [open, { $add: ['$count', 1] }, 1] },
            resetAt: { $cond: [open, '$resetAt', { $add: ['$$NOW', windowMs] }] },
          },
        },
      ],
      { upsert: true },
    );
  }

  async clear(key: string): Promise<void> {
    await this.collection.deleteOne({ _id: key });
  }
}
