import { fail } from '../errors.js';
import type { Message, Store } from '../store/store.js';

export interface AroundPage {
  /** Ascending by seq, the asked-for message among them. */
  messages: Message[];
  /** Whether older messages than the first exist. */
  hasMoreBefore: boolean;
  /** Whether newer messages than the last exist. */
  hasMoreAfter: boolean;
}

/**
 * The page of at most `limit` messages centred on the message at `seq` (a jump to a linked message): as many older
 * as newer, and when one side runs short the other fills the page. Built from the Store's existing pages (each
 * asks for `limit` rows, one more than a side can use, which tells whether more exist), so every store has it.
 * A seq that is not a message of this room (unknown, another room's, or another kind of event) is MESSAGE_NOT_FOUND.
 */
export async function messagesAround(store: Store, roomId: string, seq: number, limit: number): Promise<AroundPage> {
  const target = await store.getMessage(roomId, seq);
  if (!target) throw fail('MESSAGE_NOT_FOUND');
  const [older, newer] = await Promise.all([
    store.listMessages(roomId, { before: seq, limit }), // newest first
    store.listMessages(roomId, { after: seq, limit }), // oldest first
  ]);
  let olderTake = Math.floor((limit - 1) / 2);
  let newerTake = limit - 1 - olderTake;
  if (older.length < olderTake) {
    newerTake += olderTake - older.length;
    olderTake = older.length;
  }
  if (newer.length < newerTake) {
    olderTake = Math.min(older.length, olderTake + newerTake - newer.length);
    newerTake = newer.length;
  }
  return {
    messages: [...older.slice(0, olderTake).reverse(), target, ...newer.slice(0, newerTake)],
    hasMoreBefore: older.length > olderTake,
    hasMoreAfter: newer.length > newerTake,
  };
}
