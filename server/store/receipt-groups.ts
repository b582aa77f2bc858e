/** A delivery receipt on its way to a store: the member had every event of the room up to `seq`. */
export interface DeliveredReceipt {
  roomId: string;
  userId: string;
  seq: number;
}

/**
 * A batch of receipts grouped by room, then by seq: the members of a room who reached the same seq. After live
 * fan-out that is every member of a room at once, so a store writes one statement per group instead of one per member.
 */
export function groupReceipts(entries: Iterable<DeliveredReceipt>): Map<string, Map<number, string[]>> {
  const rooms = new Map<string, Map<number, string[]>>();
  for (const { roomId, userId, seq } of entries) {
    let bySeq = rooms.get(roomId);
    if (!bySeq) rooms.set(roomId, (bySeq = new Map()));
    const users = bySeq.get(seq);
    if (users) users.push(userId);
    else bySeq.set(seq, [userId]);
  }
  return rooms;
}
