import type { Test } from 'tap';
import type { Message, PublicUser, Store } from '../../server/store/store.js';

/**
 * The Store contract for mentions and notification levels (called from contract.ts): whom a message mentions is
 * resolved against the room's members when it is stored and when it is edited; unread mention counts, the mentions
 * inbox and each member's level and mute.
 */
export function mentionsContract(t: Test, store: Store, makeUser: (prefix?: string) => Promise<PublicUser>): void {
  const fields = (m: Message) => ({ mentions: m.mentions, mentionsRoom: m.mentionsRoom, mentionsHere: m.mentionsHere });
  const unread = async (user: PublicUser, roomId: string) => {
    const mine = await store.listRoomsOfUser(user.id);
    const entry = mine.find((r) => r.room.id === roomId)!;
    return { unread: entry.unread, unreadMentions: entry.unreadMentions };
  };
  const users = async (...prefixes: string[]) => {
    const out: PublicUser[] = [];
    for (const p of prefixes) out.push(await makeUser(p));
    return out as [PublicUser, PublicUser, PublicUser, PublicUser];
  };
  const say = async (roomId: string, author: PublicUser, text: string, online: string[] = []) =>
    (await store.postMessage(roomId, author, { text, attachments: [], online })).message;

  t.test('mentions: resolved against the members when stored, carried by the message and its event', async (t) => {
    const [owner, bob, carol, stranger] = await users(...['mo', 'mb', 'mc', 'ms']);
    const { room } = await store.createRoom({ name: 'mentions', topic: '', kind: 'public', owner });
    for (const u of [bob, carol]) await store.addMember(room.id, u, 'member', owner);

    const m1 = await say(room.id, owner, `hi @${bob.username.toUpperCase()}, @${stranger.username} and @nobody_here`);
    t.same(fields(m1), { mentions: [bob.id], mentionsRoom: false, mentionsHere: false }, 'members only, any case');
    const m2 = await say(room.id, owner, `code: \`@${carol.username}\` and mail x@${carol.username} ...`);
    t.same(m2.mentions, [], 'not inside inline code, not in an address');
    const m3 = await say(room.id, bob, `@room and @here, also @${bob.username} myself`, [carol.id, owner.id]);
    t.same(fields(m3), { mentions: [], mentionsRoom: true, mentionsHere: true }, 'flags; naming yourself is no one');
    t.same(fields((await store.getMessage(room.id, m1.seq))!), fields(m1), 'read back as stored');
    const log = await store.eventsAfter(room.id, m1.seq - 1, 10);
    const created = log.find((e) => e.type === 'message.created' && e.seq === m1.seq)!;
    t.same((created.payload.message as Message).mentions, [bob.id], 'the event carries them');
    const page = await store.listMessages(room.id, { limit: 10 });
    t.same(page.find((m) => m.seq === m3.seq)?.mentionsRoom, true, 'history pages carry them');

    t.same(await unread(bob, room.id), { unread: 0, unreadMentions: 0 }, 'bob read up to his own post m3');
    t.same(await unread(carol, room.id), { unread: 3, unreadMentions: 1 }, 'carol: @room/@here in m3');
    t.same(await unread(owner, room.id), { unread: 1, unreadMentions: 1 }, "the owner: m3's @room");
    await store.markRead(room.id, carol.id, m3.seq);
    t.same(await unread(carol, room.id), { unread: 0, unreadMentions: 0 }, 'read mentions are not unread');
  });

  t.test('mentions: @here reaches the members online when sent; edits re-resolve; deletes clear', async (t) => {
    const [owner, on, off] = await users(...['ho', 'hn', 'hf']);
    const { room } = await store.createRoom({ name: 'here', topic: '', kind: 'private', owner });
    for (const u of [on, off]) await store.addMember(room.id, u, 'member', owner);
    const here = await say(room.id, owner, 'ping @here', [on.id]);
    t.same((await unread(on, room.id)).unreadMentions, 1, 'online: mentioned');
    t.same((await unread(off, room.id)).unreadMentions, 0, 'offline: not mentioned');

    const edited = await store.editMessage(room.id, here.seq, owner, `ping @here and @${off.username}`, []);
    t.same(fields(edited.message), { mentions: [off.id], mentionsRoom: false, mentionsHere: true });
    t.same((await unread(on, room.id)).unreadMentions, 1, 'an edit keeping @here keeps whom it reached');
    t.same((await unread(off, room.id)).unreadMentions, 1, 'a name added by an edit mentions');
    const log = await store.eventsAfter(room.id, here.seq - 1, 10);
    for (const e of log.filter((e) => e.type.startsWith('message.'))) {
      t.same((e.payload.message as Message).mentions, [off.id], `${e.type}: every copy has the current mentions`);
    }
    await store.editMessage(room.id, here.seq, owner, 'never mind');
    t.same((await unread(on, room.id)).unreadMentions, 0, 'an edit removing @here un-mentions');
    t.same((await unread(off, room.id)).unreadMentions, 0, 'an edit removing a name un-mentions');

    const again = await say(room.id, owner, `@${on.username} look`);
    t.same((await unread(on, room.id)).unreadMentions, 1);
    const { message } = await store.deleteMessage(room.id, again.seq, owner);
    t.same(
      fields(message),
      { mentions: [], mentionsRoom: false, mentionsHere: false },
      'a deleted message names no one',
    );
    t.same((await unread(on, room.id)).unreadMentions, 0, 'a deleted mention is not unread');
  });

  t.test('mentions inbox: newest first across my rooms, paged without loss or repeat', async (t) => {
    const [me, a, b] = await users(...['ia', 'ib', 'ic']);
    const r1 = (await store.createRoom({ name: 'one', topic: '', kind: 'public', owner: a })).room;
    const r2 = (await store.createRoom({ name: 'two', topic: '', kind: 'public', owner: b })).room;
    await store.addMember(r1.id, me, 'member', me);
    await store.addMember(r2.id, me, 'member', me);
    await store.addMember(r2.id, a, 'member', a);
    const expected: Array<[string, number]> = [];
    for (let i = 0; i < 5; i++) {
      const roomId = i % 2 ? r2.id : r1.id;
      const m = await say(roomId, a, i === 4 ? '@room all' : `@${me.username} #${i}`);
      expected.unshift([m.roomId, m.seq]);
      await say(roomId, a, 'no mention');
      await new Promise((resolve) => setTimeout(resolve, 2)); // distinct times
    }
    await say(r1.id, me, `@${me.username} my own`);
    const first = await store.listMentions(me.id, { limit: 3 });
    const last = first.at(-1)!;
    const rest = await store.listMentions(me.id, {
      limit: 10,
      before: { at: last.createdAt, roomId: last.roomId, seq: last.seq },
    });
    t.same(
      [...first, ...rest].map((m) => [m.roomId, m.seq]),
      expected,
      'newest first, my own not included',
    );
    t.same(await store.listMentions(a.id, { limit: 10 }), [], 'no one mentioned a');
    await store.removeMember(r2.id, me, me, 'left');
    const after = await store.listMentions(me.id, { limit: 10 });
    t.ok(
      after.every((m) => m.roomId === r1.id),
      'a room I left is not in my inbox',
    );
  });

  t.test('notification levels: defaults by kind, set by the member, part of the membership', async (t) => {
    const [owner, bob] = await users(...['no', 'nb']);
    const { room } = await store.createRoom({ name: 'levels', topic: '', kind: 'public', owner });
    const { membership } = await store.addMember(room.id, bob, 'member', owner);
    t.match(membership, { notify: 'mentions', muted: false }, 'rooms notify on mentions by default');
    const { room: direct } = await store.openDirectRoom(owner, bob);
    t.match(await store.getMembership(direct.id, bob.id), { notify: 'all', muted: false }, 'direct rooms: all');

    const set = await store.setNotify(room.id, bob.id, { notify: 'none' });
    t.match(set, { notify: 'none', muted: false });
    t.match(await store.setNotify(room.id, bob.id, { muted: true }), { notify: 'none', muted: true }, 'one at a time');
    t.match(await store.getMembership(room.id, bob.id), { notify: 'none', muted: true });
    const members = await store.listMembers(room.id);
    t.match(
      members.find((m) => m.userId === bob.id),
      { notify: 'none', muted: true },
      'in the members list',
    );
    t.match(
      members.find((m) => m.userId === owner.id),
      { notify: 'mentions', muted: false },
      "others' unchanged",
    );
    const mine = await store.listRoomsOfUser(bob.id);
    t.match(mine.find((r) => r.room.id === room.id)?.membership, { notify: 'none', muted: true }, 'in my rooms');
    t.equal(await store.setNotify(room.id, (await makeUser('nx')).id, { notify: 'all' }), null, 'not a member');
    t.equal(await store.setNotify('0000000000000000', bob.id, { notify: 'all' }), null, 'no such room');
  });
}
