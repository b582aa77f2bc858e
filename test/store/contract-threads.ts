import type { Test } from 'tap';
import type { PublicUser, RoomEvent, Store } from '../../server/store/store.js';

interface Helpers {
  makeUser(prefix?: string): Promise<PublicUser>;
  rejects(p: Promise<unknown>, status: number, code: string): Promise<void>;
  untilSeen(roomId: string, seq: number): Promise<void>;
  seen: RoomEvent[];
}

/** Replies and threads, for every store (called from the contract suite in contract.ts). */
export function threadContract(t: Test, store: Store, { makeUser, rejects, untilSeen, seen }: Helpers): void {
  t.test('threads: replies, summaries, thread.updated in the same commit, quotes that follow the parent', async (t) => {
    const [alice, bob, carol] = [await makeUser('th'), await makeUser('th'), await makeUser('th')];
    const { room } = await store.createRoom({ name: 'threads', topic: '', kind: 'public', owner: alice });
    const post = (who: PublicUser, text: string, replyTo?: number) =>
      store.postMessage(room.id, who, { text, attachments: [], replyTo }).then((r) => r.message);
    const root = await post(alice, 'the root message');
    const r1 = await post(bob, 'a reply', root.seq);
    t.same(r1.replyTo, { seq: root.seq, author: alice, excerpt: 'the root message' });
    t.equal(r1.threadSeq, root.seq);
    await untilSeen(room.id, r1.seq + 1);
    const update = seen.find((e) => e.roomId === room.id && e.seq === r1.seq + 1);
    t.equal(update?.type, 'thread.updated', 'the reply is followed by its thread update, the next seq');
    t.same(update?.payload, {
      seq: root.seq,
      thread: { replies: 1, lastReplyAt: r1.createdAt, participants: [bob] },
    });

    const r2 = await post(carol, 'a reply to the reply', r1.seq);
    t.same([r2.threadSeq, r2.replyTo?.seq, r2.replyTo?.excerpt], [root.seq, r1.seq, 'a reply']);
    const summary = (await store.getMessage(room.id, root.seq))?.thread;
    t.same(summary, { replies: 2, lastReplyAt: r2.createdAt, participants: [carol, bob] });
    const [listed] = await store.listMessages(room.id, { after: root.seq - 1, limit: 1 });
    t.same(listed?.thread, summary, 'history pages carry the summary');

    t.same(
      (await store.listThread(room.id, root.seq, { limit: 10 })).map((m) => m.seq),
      [r1.seq, r2.seq],
    );
    t.same(
      (await store.listThread(room.id, root.seq, { after: r1.seq, limit: 10 })).map((m) => m.seq),
      [r2.seq],
    );
    t.same(await store.listThread(room.id, r2.seq, { limit: 10 }), [], 'a message without replies has none');

    const head = (await store.getRoom(room.id))!.lastSeq;
    await rejects(post(bob, 'x', 9999), 400, 'REPLY_TO_UNKNOWN');
    await rejects(post(bob, 'x', 1), 400, 'REPLY_TO_UNKNOWN'); // seq 1 is a join, not a message
    const { room: other } = await store.createRoom({ name: 'other', topic: '', kind: 'public', owner: alice });
    await rejects(
      store.postMessage(other.id, bob, { text: 'x', attachments: [], replyTo: r2.seq }),
      400,
      'REPLY_TO_UNKNOWN',
    );
    t.equal((await store.getRoom(room.id))!.lastSeq, head, 'a refused reply appends nothing');

    // The parent's edit reaches the quote, in the read model and in the reply's stored copies.
    await store.editMessage(room.id, r1.seq, bob, 'a better reply');
    t.equal((await store.getMessage(room.id, r2.seq))?.replyTo?.excerpt, 'a better reply');
    const copies = async () =>
      (await store.eventsAfter(room.id, 0, 1000)).filter(
        (e) => (e.payload as { message?: { seq: number } }).message?.seq === r2.seq,
      );
    t.same(
      (await copies()).map((e) => (e.payload.message as { replyTo: unknown }).replyTo),
      [{ seq: r1.seq, author: bob, excerpt: 'a better reply' }],
      "the reply's stored copy quotes the edited text",
    );

    // Deleting a reply: the thread is recounted (thread.updated after message.deleted); its own replies lose the quote.
    const { event: deleted } = await store.deleteMessage(room.id, r1.seq, bob);
    await untilSeen(room.id, deleted.seq + 1);
    const recount = seen.find((e) => e.roomId === room.id && e.seq === deleted.seq + 1);
    t.same(recount?.payload, {
      seq: root.seq,
      thread: { replies: 1, lastReplyAt: r2.createdAt, participants: [carol] },
    });
    t.same((await store.getMessage(room.id, r2.seq))?.replyTo, { seq: r1.seq, author: null, excerpt: null });
    t.same(
      (await copies()).map((e) => (e.payload.message as { replyTo: unknown }).replyTo),
      [{ seq: r1.seq, author: null, excerpt: null }],
      "the reply's stored copy no longer quotes the deleted text",
    );
    t.notMatch(JSON.stringify(await store.eventsAfter(room.id, 0, 1000)), /a better reply|"a reply"/);
    await rejects(post(alice, 'x', r1.seq), 409, 'REPLY_TO_DELETED');

    await store.deleteMessage(room.id, r2.seq, carol);
    t.equal((await store.getMessage(room.id, root.seq))?.thread, null, 'no live reply left: no summary');
  });

  t.test('threads: the excerpt is at most 140 characters, on one line, never splitting a character', async (t) => {
    const alice = await makeUser('ex');
    const { room } = await store.createRoom({ name: 'excerpts', topic: '', kind: 'public', owner: alice });
    const long = 'line one\n\n' + '😀'.repeat(200);
    const { message: parent } = await store.postMessage(room.id, alice, { text: long, attachments: [] });
    const { message } = await store.postMessage(room.id, alice, { text: 'r', attachments: [], replyTo: parent.seq });
    const excerpt = message.replyTo!.excerpt!;
    t.equal([...excerpt].length, 140);
    t.ok(excerpt.startsWith('line one 😀'), 'line breaks become spaces');
    t.ok(excerpt.endsWith('😀…'));
  });
}
