import type { Membership, Store, Watermarks } from '../store.js';
import { groupReceipts } from '../receipt-groups.js';
import { toMembership } from './mappers.js';
import type { MembershipDoc, Models, RoomDoc } from './models.js';

type ReceiptMethods = 'markDelivered' | 'markRead' | 'watermarks';

/** Member ids per updateMany (about 20 bytes each). */
const IDS_PER_OP = 10_000;
/** The membership key index (models.ts): room, then user. */
const BY_MEMBER = { roomId: 1, userId: 1 };

/**
 * Delivery and read watermarks on the memberships. $max makes both monotonic in one atomic update, whatever order
 * batches land in, so no transaction is needed.
 */
export class MongoReceipts implements Pick<Store, ReceiptMethods> {
  constructor(private readonly m: Models) {}

  /** lastSeq by room id, to cap receipts at the head (lastSeq only grows, so a stale read only caps lower). */
  private async roomHeads(roomIds: string[]): Promise<Map<string, number>> {
    const rooms = await this.m.rooms
      .find({ _id: { $in: [...new Set(roomIds)] } }, { lastSeq: 1 })
      .lean<Array<Pick<RoomDoc, '_id' | 'lastSeq'>>>()
      .exec();
    return new Map(rooms.map((r) => [r._id, r.lastSeq]));
  }

  /**
   * One updateMany per (room, seq) group: after live fan-out every member of a room reached the same seq, so a flush of
   * a 10,000-member room is one operation, not 10,000. `$max` keeps it monotonic whatever order flushes land in; the
   * `$lt` filter leaves members already there untouched.
   */
  async markDelivered(entries: Array<{ roomId: string; userId: string; seq: number }>): Promise<void> {
    if (entries.length === 0) return;
    const heads = await this.roomHeads(entries.map((e) => e.roomId));
    const ops = [];
    for (const [roomId, bySeq] of groupReceipts(entries)) {
      const head = heads.get(roomId);
      if (head === undefined) continue;
      for (const [seq, users] of bySeq) {
        const capped = Math.min(seq, head);
        // Chunks keep each operation's filter far below the 16 MiB document limit, whatever the room's size.
        for (let i = 0; i < users.length; i += IDS_PER_OP) {
          const filter = { roomId, userId: { $in: users.slice(i, i + IDS_PER_OP) }, deliveredSeq: { $lt: capped } };
          // The hint keeps these per-member seeks: the { roomId, deliveredSeq } range would walk every member behind.
          ops.push({ updateMany: { filter, update: { $max: { deliveredSeq: capped } }, hint: BY_MEMBER } });
        }
      }
    }
    // Independent monotonic updates: one unordered bulk write.
    if (ops.length > 0) await this.m.memberships.bulkWrite(ops, { ordered: false });
  }

  async markRead(roomId: string, userId: string, seq: number): Promise<Membership | null> {
    const head = (await this.roomHeads([roomId])).get(roomId);
    if (head === undefined) return null;
    const capped = Math.min(seq, head);
    const m = await this.m.memberships
      .findOneAndUpdate({ roomId, userId }, { $max: { readSeq: capped, deliveredSeq: capped } }, { new: true })
      .lean<MembershipDoc>()
      .exec();
    return m ? toMembership(m) : null;
  }

  /** Two index seeks ({ roomId, deliveredSeq } and { roomId, readSeq }): the lowest membership of the room in each. */
  async watermarks(roomId: string): Promise<Watermarks> {
    const lowest = (field: 'deliveredSeq' | 'readSeq') =>
      this.m.memberships
        .findOne({ roomId }, { [field]: 1, _id: 0 })
        .sort({ [field]: 1 })
        .lean<Pick<MembershipDoc, typeof field>>()
        .exec();
    const [delivered, read] = await Promise.all([lowest('deliveredSeq'), lowest('readSeq')]);
    return { deliveredSeq: delivered?.deliveredSeq ?? 0, readSeq: read?.readSeq ?? 0 };
  }
}
