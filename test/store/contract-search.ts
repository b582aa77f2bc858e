import type { Test } from 'tap';
import { asHttpError } from '../../server/http/error-mapping.js';
import { parseQuery } from '../../server/search/query.js';
import type { Message, MessageSearch, PublicUser, Store } from '../../server/store/store.js';

/** The search contract (Store.searchMessages): run by contract.ts against every store. */
export async function searchContract(t: Test, store: Store): Promise<void> {
  let n = 0;
  const makeUser = async (): Promise<PublicUser> => {
    const username = `s${Date.now().toString(36)}${++n}`;
    const u = await store.createUser({
      username,
      email: `${username}@example.com`,
      passwordHash: 'x',
      displayName: username,
      gender: 'unspecified',
      avatar: null,
    });
    return { id: u.id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar };
  };
  const terms = (q: string) => {
    const parsed = parseQuery(q);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.query.terms;
  };
  const a = await makeUser();
  const b = await makeUser();
  const c = await makeUser();
  const { room: general } = await store.createRoom({ name: 'general', topic: '', kind: 'public', owner: a });
  await store.addMember(general.id, b, 'member', b);
  const { room: random } = await store.createRoom({ name: 'random', topic: '', kind: 'public', owner: a });
  const { room: secret } = await store.createRoom({ name: 'secret', topic: '', kind: 'private', owner: c });
  const say = async (room: string, who: PublicUser, text: string) =>
    (await store.postMessage(room, who, { text, attachments: [] })).message;
  const fox = await say(general.id, a, 'The quick brown fox jumps over the lazy dog');
  const cafe = await say(general.id, b, 'Meet at the Café Noir tomorrow');
  const note = await say(random.id, a, 'a note about the quick sort');
  await say(secret.id, c, 'quick secret plans of the brown fox');
  const search = (userId: string, q: string, more: Partial<MessageSearch> = {}) =>
    store.searchMessages(userId, { terms: terms(q), limit: 50, ...more });
  const keys = (ms: Message[]) => ms.map((m) => `${m.roomId === general.id ? 'general' : 'random'}#${m.seq}`);
  const key = (m: Message) => keys([m])[0];

  t.test('found by word, newest first, only in my rooms', async (t) => {
    const found = await search(a.id, 'quick ');
    t.same(keys(found), [key(note), key(fox)], 'both of my rooms, newest first; never the room I am not in');
    t.equal(found[0]!.text, note.text, 'results are whole messages');
    t.equal(found[0]!.author.id, a.id);
    t.same(await search(c.id, 'note '), [], "another member's search never sees my rooms");
    t.same(keys(await search(a.id, 'QUICK ')), keys(found), 'case does not matter');
  });

  t.test('found by prefix of the last word, and without diacritics', async (t) => {
    t.same(keys(await search(a.id, 'laz')), [key(fox)], 'prefix');
    t.same(await search(a.id, 'laz '), [], 'a finished word is whole');
    t.same(keys(await search(a.id, 'cafe noir')), [key(cafe)], 'Café is found as cafe');
    t.same(keys(await search(a.id, 'café')), [key(cafe)]);
  });

  t.test('found by phrase: the words in order, next to each other', async (t) => {
    t.same(keys(await search(a.id, '"brown fox"')), [key(fox)]);
    t.same(await search(a.id, '"fox brown"'), [], 'not in another order');
    t.same(await search(a.id, '"quick fox"'), [], 'not apart');
    t.same(keys(await search(a.id, '"quick brown" lazy')), [key(fox)], 'a phrase and a word');
  });

  t.test('edited messages are found by their new text only; deleted ones not at all', async (t) => {
    const m = await say(random.id, a, 'original wording here');
    t.same(keys(await search(a.id, 'original ')), [key(m)]);
    await store.editMessage(random.id, m.seq, a, 'rewritten completely');
    t.same(await search(a.id, 'original '), [], 'the old text is gone from the index');
    const edited = await search(a.id, 'rewritten ');
    t.same(keys(edited), [key(m)], 'the new text is found');
    t.equal(edited[0]!.text, 'rewritten completely');
    await store.deleteMessage(random.id, m.seq, a);
    t.same(await search(a.id, 'rewritten '), [], 'deleted: not found');
    t.same(
      await search(a.id, '', { authorIds: [a.id], roomIds: [random.id] }).then(keys),
      [key(note)],
      'nor by operators',
    );
  });

  t.test('never other rooms, even when asked for', async (t) => {
    t.same(await search(a.id, 'secret ', { roomIds: [secret.id] }), []);
    t.same(await search(b.id, 'quick ', { roomIds: [random.id] }), [], 'a room b is not in');
    t.same(keys(await search(b.id, 'quick ')), [key(fox)], 'b sees its one room');
    t.same(keys(await search(c.id, '"brown fox"')).length, 1, "c finds its own room's message");
  });

  t.test('operators: from, in, before, after', async (t) => {
    t.same(keys(await search(a.id, 'the ', { authorIds: [b.id] })), [key(cafe)], 'from');
    t.same(keys(await search(a.id, 'the ', { authorIds: [a.id, b.id] })).length, 3, 'from any of');
    t.same(keys(await search(a.id, 'quick ', { roomIds: [random.id] })), [key(note)], 'in');
    t.same(keys(await search(a.id, '', { authorIds: [b.id] })), [key(cafe)], 'operators alone');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    t.same(keys(await search(a.id, 'quick ', { before: tomorrow })).length, 2, 'before a later time');
    t.same(await search(a.id, 'quick ', { before: yesterday }), [], 'nothing before an earlier time');
    t.same(keys(await search(a.id, 'quick ', { after: yesterday })).length, 2, 'after an earlier time');
    t.same(await search(a.id, 'quick ', { after: tomorrow }), [], 'nothing after a later time');
  });

  t.test('pages follow a cursor without duplicates or gaps', async (t) => {
    const posted: Message[] = [];
    for (let i = 0; i < 7; i++) posted.push(await say(i % 2 ? random.id : general.id, a, `pageable item ${i}`));
    const all = await search(a.id, 'pageable ');
    t.same(keys(all), keys(posted.reverse()), 'newest first');
    const seen: Message[] = [];
    let cursor: MessageSearch['cursor'];
    for (let page = 0; page < 5; page++) {
      const got = await search(a.id, 'pageable ', { limit: 3, cursor });
      seen.push(...got);
      if (got.length < 3) break;
      const last = got[got.length - 1]!;
      cursor = { roomId: last.roomId, seq: last.seq };
    }
    t.same(keys(seen), keys(all), 'the pages together are the whole list, once each');
    try {
      await search(a.id, 'pageable ', { cursor: { roomId: general.id, seq: 99_999 } });
      t.fail('a cursor naming no message is refused');
    } catch (err) {
      t.equal(asHttpError(err)?.statusCode, 400, 'a bad cursor is a 400');
      t.equal(asHttpError(err)?.code, 'VALIDATION_FAILED');
    }
  });
}
