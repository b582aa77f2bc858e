import type { mongo } from 'mongoose';
import { CURSOR_BASE_TOUCH_MS, CURSOR_BASE_TTL_MS, type CursorBaseStore } from '../store.js';
import type { CursorBaseDoc } from './models.js';

/**
 * Cursor bases, one document each: `{ _id: id, positions, usedAt }`. A TTL index on usedAt removes those unused for
 * CURSOR_BASE_TTL_MS; the TTL monitor runs about once a minute, so load() also checks the age. usedAt is the
 * server's clock ($currentDate), the one the TTL monitor uses.
 */
export class MongoCursorBases implements CursorBaseStore {
  constructor(private readonly collection: mongo.Collection<CursorBaseDoc>) {}

  async save(bases: ReadonlyArray<{ id: string; text: string }>): Promise<void> {
    if (bases.length === 0) return;
    // Unordered: the upserts are independent, so the server may apply them in parallel.
    await this.collection.bulkWrite(
      bases.map(({ id, text }) => ({
        updateOne: {
          filter: { _id: id },
          update: { $set: { positions: text }, $currentDate: { usedAt: true as const } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }

  async load(id: string): Promise<string | null> {
    const doc = await this.collection.findOne({ _id: id });
    if (!doc) return null;
    const age = Date.now() - doc.usedAt.getTime();
    if (age > CURSOR_BASE_TTL_MS) return null;
    // Not awaited: a read must not fail because a write did (no majority); the next read marks it again.
    if (age > CURSOR_BASE_TOUCH_MS)
      this.collection.updateOne({ _id: id }, { $currentDate: { usedAt: true } }).catch(() => undefined);
    return doc.positions;
  }
}
