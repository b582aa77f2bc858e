import type { Test } from 'tap';
import type { PublicUser, Store } from '../../server/store/store.js';

/** The receipts part of the Store contract (contract.ts calls it with the store under test): markDelivered writes a
 * batch grouped by room and seq, and watermarks() stays right in big rooms. */
export function receiptsContract(t: Test, store: Store, makeUser: (prefix?: string) => Promise<PublicUser>): void {
  const room = async (owner: PublicUser, members: PublicUser[], joinConcurrency = 25) => {
    const { room } = await store.createRoom({ name: 'receipts', topic: '', kind: 'public', owner });
    // A few joins at a time: each appends to the room's log (on MongoDB, concurrent appends to one room retry).
    for (let i = 0; i < members.length; i += joinConcurrency) {
      const some = members.slice(i, i + joinConcurrency);
      await Promise.all(some.map((u) => store.addMember(room.id, u, 'member', u)));
    }
    return room;
  };
  const post = async (roomId: string, author: PublicUser) =>
    (await store.postMessage(roomId, author, { text: 'tick', attachments: [] })).message.seq;
  const delivered = async (roomId: string, userId: string) => (await store.getMembership(roomId, userId))?.deliveredSeq;
  const users = async (count: number, prefix: string) => {
    const made: PublicUser[] = [];
    for (let i = 0; i < count; i += 100) {
      made.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => makeUser(prefix)))));
    }
    return made;
  };

  t.test("a message's receipts: counts of everyone, lists cut at the limit, the author left out", async (t) => {
    const [author, ...others] = await users(6, 'mrc');
    const r = await room(author!, others);
    const seq = await post(r.id, author!);
    // Three have it delivered, one of them read too; two have neither.
    await store.markDelivered(others.slice(0, 3).map((u) => ({ roomId: r.id, userId: u.id, seq })));
    await store.markRead(r.id, others[0]!.id, seq);
    const byName = (list: PublicUser[]) => [...list].sort((a, b) => (a.username < b.username ? -1 : 1));
    const all = await store.messageReceipts(r.id, seq, author!.id, 100);
    t.same(all.counts, { delivered: 3, read: 1, pending: 2 });
    t.same(
      all.deliveredTo.map((u) => u.id),
      byName(others.slice(0, 3)).map((u) => u.id),
      'delivered, by username',
    );
    t.same(
      all.readBy.map((u) => u.id),
      [others[0]!.id],
    );
    t.same(
      all.pending.map((u) => u.id),
      byName(others.slice(3)).map((u) => u.id),
    );
    const cut = await store.messageReceipts(r.id, seq, author!.id, 2);
    t.same(cut.counts, all.counts, 'a limit cuts the lists, not the counts');
    t.same(
      cut.deliveredTo.map((u) => u.id),
      all.deliveredTo.slice(0, 2).map((u) => u.id),
      'the first two',
    );
    t.equal(cut.pending.length, 2);
    const fromOther = await store.messageReceipts(r.id, seq, others[4]!.id, 100);
    t.equal(
      fromOther.counts.delivered + fromOther.counts.pending,
      5,
      'whoever is left out: the author is counted then, the one left out is not',
    );
    t.notOk(
      [...fromOther.deliveredTo, ...fromOther.pending].some((u) => u.id === others[4]!.id),
      'and is in no list',
    );
  });

  t.test(
    'receipts: a grouped batch only moves marks forward, never past the head, and skips non-members',
    async (t) => {
      const [a, b, c, outsider] = await users(4, 'rcpt');
      const r = await room(a!, [b!, c!]);
      await post(r.id, a!);
      await post(r.id, a!);
      const head = await post(r.id, a!);
      await store.markDelivered([
        { roomId: r.id, userId: b!.id, seq: head },
        { roomId: r.id, userId: c!.id, seq: head },
      ]);
      t.equal(await delivered(r.id, b!.id), head, 'two members at the same seq: both recorded');
      t.equal(await delivered(r.id, c!.id), head);

      await store.markDelivered([
        { roomId: r.id, userId: b!.id, seq: head - 2 },
        { roomId: r.id, userId: c!.id, seq: head - 1 },
      ]);
      t.equal(await delivered(r.id, b!.id), head, 'lower seqs are ignored');
      t.equal(await delivered(r.id, c!.id), head);

      await store.markDelivered([{ roomId: r.id, userId: b!.id, seq: head + 100 }]);
      t.equal(await delivered(r.id, b!.id), head, 'capped at the head');
      const next = await post(r.id, a!);
      await store.markDelivered([
        { roomId: r.id, userId: b!.id, seq: next + 5 },
        { roomId: r.id, userId: c!.id, seq: next + 5 },
      ]);
      t.equal(await delivered(r.id, b!.id), next, 'a group past the head stops at the head, for each of its members');
      t.equal(await delivered(r.id, c!.id), next);

      const later = await post(r.id, a!);
      await store.markDelivered([
        { roomId: r.id, userId: outsider!.id, seq: later },
        { roomId: r.id, userId: 'no-such-user', seq: later },
        { roomId: 'no-such-room', userId: b!.id, seq: later },
        { roomId: r.id, userId: b!.id, seq: later },
      ]);
      t.equal(await store.getMembership(r.id, outsider!.id), null, 'a non-member gains no membership');
      t.equal(await store.getMembership('no-such-room', b!.id), null, 'nor does an unknown room');
      t.equal(await delivered(r.id, b!.id), later, 'the members of the same batch are recorded');
      await store.markDelivered([]);
      t.pass('an empty batch is fine');
    },
  );

  t.test('receipts: one batch of mixed rooms and seqs, the same member twice: the highest wins', async (t) => {
    const [a, ...rest] = await users(6, 'mixed');
    const r1 = await room(a!, rest);
    const r2 = await room(a!, rest.slice(0, 2));
    const s = [await post(r1.id, a!), await post(r1.id, a!), await post(r1.id, a!)];
    const t2 = await post(r2.id, a!);
    await store.markDelivered([
      { roomId: r1.id, userId: rest[0]!.id, seq: s[2]! },
      { roomId: r1.id, userId: rest[1]!.id, seq: s[0]! },
      { roomId: r2.id, userId: rest[0]!.id, seq: t2 },
      { roomId: r1.id, userId: rest[2]!.id, seq: s[1]! },
      { roomId: r1.id, userId: rest[3]!.id, seq: s[2]! },
      { roomId: r1.id, userId: rest[4]!.id, seq: s[1]! },
      { roomId: r1.id, userId: rest[1]!.id, seq: s[1]! },
      { roomId: r2.id, userId: rest[1]!.id, seq: t2 - 1 },
      { roomId: r1.id, userId: rest[4]!.id, seq: s[0]! },
    ]);
    t.same(
      await Promise.all(rest.map((u) => delivered(r1.id, u.id))),
      [s[2], s[1], s[1], s[2], s[1]],
      'each member of the first room where their highest seq says',
    );
    t.same(await Promise.all(rest.slice(0, 2).map((u) => delivered(r2.id, u.id))), [t2, t2 - 1], 'and the second');
    const lowestRead = Math.min(...(await store.listMembers(r1.id)).map((m) => m.readSeq));
    t.same(
      await store.watermarks(r1.id),
      { deliveredSeq: s[1], readSeq: lowestRead },
      'the room is where its slowest is',
    );
    t.equal((await store.watermarks(r2.id)).deliveredSeq, t2 - 1, 'each room has its own minimum');
  });

  t.test('receipts: watermarks stay right in a room of 2,000 members', async (t) => {
    const [owner, ...members] = await users(2000, 'big');
    const r = await room(owner!, members);
    const lowest = async (field: 'deliveredSeq' | 'readSeq') =>
      Math.min(...(await store.listMembers(r.id)).map((m) => m[field]));
    t.equal(members.length, 1999);
    t.same(
      await store.watermarks(r.id),
      { deliveredSeq: await lowest('deliveredSeq'), readSeq: await lowest('readSeq') },
      'the minimum over every member, as listed',
    );

    const head = await post(r.id, owner!);
    await store.markDelivered(members.map((u) => ({ roomId: r.id, userId: u.id, seq: head })));
    t.equal((await store.watermarks(r.id)).deliveredSeq, head, 'one batch of every member moves delivered-to-all');

    const next = await post(r.id, owner!);
    const straggler = members[1234]!;
    await store.markDelivered(
      members.filter((u) => u !== straggler).map((u) => ({ roomId: r.id, userId: u.id, seq: next })),
    );
    t.equal((await store.watermarks(r.id)).deliveredSeq, head, 'one member behind holds it back');
    await store.markDelivered([{ roomId: r.id, userId: straggler.id, seq: next }]);
    t.equal((await store.watermarks(r.id)).deliveredSeq, next, 'until they catch up');

    for (let i = 0; i < 3; i++) {
      const behind = (await store.listMembers(r.id)).reduce((min, m) => (m.readSeq < min.readSeq ? m : min));
      await store.markRead(r.id, behind.userId, next);
      t.equal(
        (await store.watermarks(r.id)).readSeq,
        await lowest('readSeq'),
        'read-by-all follows the slowest reader',
      );
    }
    t.ok((await store.watermarks(r.id)).readSeq < next, 'and stays behind while anyone is');
  });
}
