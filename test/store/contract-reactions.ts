import type { Test } from 'tap';
import { asHttpError } from '../../server/http/error-mapping.js';
import { StoreError } from '../../server/store/errors.js';
import type { PublicUser, Store } from '../../server/store/store.js';

/** The reactions and pins part of the Store contract (contract.ts calls it with the store under test). */
export function reactionsContract(t: Test, store: Store, makeUser: (prefix?: string) => Promise<PublicUser>): void {
  const rejects = async (t: Test, p: Promise<unknown>, status: number, code: string) => {
    try {
      await p;
      t.fail(`expected ${code}`);
    } catch (err) {
      t.ok(err instanceof StoreError, `${code} is a StoreError`);
      t.equal(asHttpError(err)?.statusCode, status);
      t.equal(asHttpError(err)?.code, code);
    }
  };
  const setUp = async () => {
    const a = await makeUser('ra');
    const b = await makeUser('rb');
    const { room } = await store.createRoom({ name: 'reactions', topic: '', kind: 'public', owner: a });
    await store.addMember(room.id, b, 'member', b);
    const { message } = await store.postMessage(room.id, a, { text: 'react to me', attachments: [] });
    return { a, b, room, message };
  };

  t.test('reactions: add, idempotent, summaries in one call, remove, events', async (t) => {
    const { a, b, room, message } = await setUp();
    const { message: other } = await store.postMessage(room.id, b, { text: 'another', attachments: [] });
    const added = await store.addReaction(room.id, message.seq, '👍', a, 20);
    t.equal(added.event?.type, 'reaction.added');
    t.same(added.event?.payload, { seq: message.seq, emoji: '👍', userId: a.id, count: 1 });
    t.equal(added.event?.actor?.id, a.id);
    const head = (await store.getRoom(room.id))!.lastSeq;
    t.equal((await store.addReaction(room.id, message.seq, '👍', a, 20)).event, null, 'again: nothing changes');
    t.equal((await store.getRoom(room.id))!.lastSeq, head, 'no event for the repeat');
    const second = await store.addReaction(room.id, message.seq, '👍', b, 20);
    t.equal(second.event?.payload.count, 2, "the event carries the emoji's count after it");
    await store.addReaction(room.id, message.seq, '🎉', b, 20);
    await store.addReaction(room.id, other.seq, '❤️', a, 20);

    const forA = await store.listReactions(room.id, [message.seq, other.seq], a.id, 10);
    t.same(forA.get(message.seq), [
      { emoji: '👍', count: 2, users: [a.id, b.id], me: true },
      { emoji: '🎉', count: 1, users: [b.id], me: false },
    ]);
    t.same(forA.get(other.seq), [{ emoji: '❤️', count: 1, users: [a.id], me: true }]);
    const forB = await store.listReactions(room.id, [message.seq], b.id, 1);
    t.same(
      forB.get(message.seq),
      [
        { emoji: '👍', count: 2, users: [a.id], me: true },
        { emoji: '🎉', count: 1, users: [b.id], me: true },
      ],
      'users are capped, me is still right',
    );
    t.notOk(forB.has(other.seq), 'only the seqs asked for');
    t.same((await store.listReactions(room.id, [], a.id, 10)).size, 0);

    const removed = await store.removeReaction(room.id, message.seq, '👍', a);
    t.equal(removed.event?.type, 'reaction.removed');
    t.same(removed.event?.payload, { seq: message.seq, emoji: '👍', userId: a.id, count: 1 });
    t.equal((await store.removeReaction(room.id, message.seq, '👍', a)).event, null, 'removing again: nothing');
    t.same((await store.listReactions(room.id, [message.seq], a.id, 10)).get(message.seq), [
      { emoji: '👍', count: 1, users: [b.id], me: false },
      { emoji: '🎉', count: 1, users: [b.id], me: false },
    ]);
    const log = await store.eventsAfter(room.id, message.seq, 100);
    t.same(
      log.filter((e) => e.type.startsWith('reaction.')).map((e) => e.type),
      ['reaction.added', 'reaction.added', 'reaction.added', 'reaction.added', 'reaction.removed'],
      'each change is one event in the log',
    );
  });

  t.test('reactions: limits and bad targets write nothing', async (t) => {
    const { a, b, room, message } = await setUp();
    const emoji = ['😀', '😁', '😂', '🤣', '😃'];
    for (const e of emoji.slice(0, 3)) await store.addReaction(room.id, message.seq, e, a, 3);
    const head = (await store.getRoom(room.id))!.lastSeq;
    await rejects(t, store.addReaction(room.id, message.seq, emoji[3]!, b, 3), 409, 'TOO_MANY_REACTIONS');
    t.ok((await store.addReaction(room.id, message.seq, emoji[0]!, b, 3)).event, 'an emoji in use is still fine');
    await rejects(t, store.addReaction(room.id, 9999, '👍', a, 20), 404, 'MESSAGE_NOT_FOUND');
    await rejects(t, store.addReaction(room.id, 1, '👍', a, 20), 404, 'MESSAGE_NOT_FOUND'); // seq 1: a join
    const { room: elsewhere } = await store.createRoom({ name: 'other', topic: '', kind: 'public', owner: a });
    await rejects(t, store.addReaction(elsewhere.id, message.seq, '👍', a, 20), 404, 'MESSAGE_NOT_FOUND');
    t.equal((await store.getRoom(room.id))!.lastSeq, head + 1, 'only the allowed reaction was stored');
  });

  t.test('pins: pin, idempotent, list newest first, limit, unpin', async (t) => {
    const { a, b, room, message } = await setUp();
    const { message: second } = await store.postMessage(room.id, b, { text: 'second', attachments: [] });
    const { message: third } = await store.postMessage(room.id, b, { text: 'third', attachments: [] });
    const pinned = await store.pinMessage(room.id, message.seq, a, 2);
    t.equal(pinned.event?.type, 'message.pinned');
    t.equal((pinned.event?.payload as { seq: number }).seq, message.seq);
    t.equal((pinned.event?.payload as { message: { text: string } }).message.text, 'react to me');
    t.equal((await store.pinMessage(room.id, message.seq, a, 2)).event, null, 'again: nothing changes');
    await store.pinMessage(room.id, second.seq, b, 2);
    await rejects(t, store.pinMessage(room.id, third.seq, a, 2), 409, 'TOO_MANY_PINS');
    const pins = await store.listPins(room.id);
    t.same(
      pins.map((p) => [p.message.seq, p.message.text, p.by.id]),
      [
        [second.seq, 'second', b.id],
        [message.seq, 'react to me', a.id],
      ],
      'newest pin first, with the message and who pinned it',
    );
    t.ok(pins.every((p) => !Number.isNaN(Date.parse(p.at))));
    await rejects(t, store.pinMessage(room.id, 9999, a, 2), 404, 'MESSAGE_NOT_FOUND');

    const unpinned = await store.unpinMessage(room.id, second.seq, a);
    t.equal(unpinned.event?.type, 'message.unpinned');
    t.same(unpinned.event?.payload, { seq: second.seq });
    t.equal((await store.unpinMessage(room.id, second.seq, a)).event, null, 'unpinning again: nothing');
    t.same(
      (await store.listPins(room.id)).map((p) => p.message.seq),
      [message.seq],
    );
  });

  t.test('a deleted message loses its reactions and pin; an edit keeps them', async (t) => {
    const { a, b, room, message } = await setUp();
    await store.addReaction(room.id, message.seq, '👍', b, 20);
    await store.pinMessage(room.id, message.seq, a, 50);
    await store.editMessage(room.id, message.seq, a, 'edited');
    t.equal((await store.listReactions(room.id, [message.seq], a.id, 10)).get(message.seq)?.length, 1);
    t.same(
      (await store.listPins(room.id)).map((p) => p.message.text),
      ['edited'],
      'the pin shows the edit',
    );
    const pinEvent = (await store.eventsAfter(room.id, 0, 100)).find((e) => e.type === 'message.pinned')!;
    t.equal((pinEvent.payload.message as { text: string }).text, 'edited', "the pin event's copy is redacted too");

    await store.deleteMessage(room.id, message.seq, a);
    t.notOk((await store.listReactions(room.id, [message.seq], a.id, 10)).has(message.seq), 'reactions gone');
    t.same(await store.listPins(room.id), [], 'pin gone');
    const log = await store.eventsAfter(room.id, 0, 100);
    t.equal(log[log.length - 1]!.type, 'message.deleted', 'one event says it all');
    t.equal(
      (log.find((e) => e.type === 'message.pinned')!.payload.message as { text: string | null }).text,
      null,
      'no text left in the pin event',
    );
    await rejects(t, store.addReaction(room.id, message.seq, '👍', a, 20), 404, 'MESSAGE_NOT_FOUND');
    await rejects(t, store.removeReaction(room.id, message.seq, '👍', b), 404, 'MESSAGE_NOT_FOUND');
    await rejects(t, store.pinMessage(room.id, message.seq, a, 50), 404, 'MESSAGE_NOT_FOUND');
    await rejects(t, store.unpinMessage(room.id, message.seq, a), 404, 'MESSAGE_NOT_FOUND');
  });
}
