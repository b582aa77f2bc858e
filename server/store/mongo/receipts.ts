import type { Membership, Store, Watermarks } from '../store.js';
import { toMembership } from './mappers.js';
import type { MembershipDoc, Models, RoomDoc } from './models.js';

type ReceiptMethods = 'markDelivered' | 'markRead' | 'watermarks';

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

  async markDelivered(entries: Array<{ roomId: string; userId: string; seq: number }>): Promise<void> {
    if (entries.length === 0) return;
    const heads = await this.roomHeads(entries.map((e) => e.roomId));
    const ops = [];
    for (const e of entries) {
      const head = heads.get(e.roomId);
      if (head === undefined) continue;
      const filter = { roomId: e.roomId, userId: e.userId };
      ops.push({ updateOne: { filter, update: { $max: { deliveredSeq: Math.min(e.seq, head) } } } });
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

  async watermarks(roomId: string): Promise<Watermarks> {
    const [row] = await this.m.memberships
      .aggregate<{ delivered: number; read: number }>([
        { $match: { roomId } },
        { $group: { _id: null, delivered: { $min: '$deliveredSeq' }, read: { $min: '$readSeq' } } },
      ])
      .exec();
    return { deliveredSeq: row?.delivered ?? 0, readSeq: row?.read ?? 0 };
  }
}
