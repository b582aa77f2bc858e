import t from 'tap';
import { asHttpError } from '../../server/http/error-mapping.js';
import { StoreError } from '../../server/store/errors.js';
import type { MembersPage, PresenceChange, PublicUser, RoomEvent, Signal, Store } from '../../server/store/store.js';
import { threadContract } from './contract-threads.js';
import { searchContract } from './contract-search.js';
import { reactionsContract } from './contract-reactions.js';
import { mentionsContract } from './contract-mentions.js';
import { receiptsContract } from './contract-receipts.js';

/**
 * The Store contract: every store passes these same tests (invariant 5 in docs/architecture.md).
 * They talk to the port only.
 */
export function storeContract(name: string, open: () => Promise<Store>, close: (store: Store) => Promise<void>): void {
  t.test(`store contract: ${name}`, async (t) => {
    const store = await open();
    t.teardown(() => close(store));
    const seen: RoomEvent[] = [];
    const off = store.feed.onEvent((e) => seen.push(e));
    t.teardown(off);
    /** The feed delivers after the commit, maybe a little later (a change stream, the next turn): wait for it. */
    const untilSeen = async (roomId: string, seq: number) => {
      for (let i = 0; !seen.some((e) => e.roomId === roomId && e.seq === seq); i++) {
        if (i > 500) throw new Error(`the feed never delivered ${roomId}#${seq}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    t.test('search', (t) => searchContract(t, store));

    let n = 0;
    const makeUser = async (prefix = 'u'): Promise<PublicUser> => {
      const username = `${prefix}${Date.now().toString(36)}${++n}`;
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
    const rejects = async (p: Promise<unknown>, status: number, code: string) => {
      try {
        await p;
        t.fail(`expected ${code}`);
      } catch (err) {
        t.ok(err instanceof StoreError, `${code} is a StoreError (no HTTP in the store)`);
        const http = asHttpError(err);
        t.equal(http?.statusCode, status);
        t.equal(http?.code, code);
      }
    };

    t.test('users: unique usernames (case-insensitive) and emails', async (t) => {
      const a = await makeUser('Case');
      const upper = a.username.toUpperCase();
      await rejects(
        store.createUser({
          username: upper,
          email: `other${n}@example.com`,
          passwordHash: 'x',
          displayName: 'x',
          gender: 'unspecified',
          avatar: null,
        }),
        409,
        'USERNAME_TAKEN',
      );
      await rejects(
        store.createUser({
          username: `fresh${Date.now()}`,
          email: `${a.username}@EXAMPLE.com`.toUpperCase(),
          passwordHash: 'x',
          displayName: 'x',
          gender: 'unspecified',
          avatar: null,
        }),
        409,
        'EMAIL_TAKEN',
      );
      const found = await store.findUserForLogin(a.username.toUpperCase());
      t.equal(found?.id, a.id, 'login by username ignores case');
      t.equal((await store.findUserForLogin(`${a.username}@example.com`))?.id, a.id, 'login by email');
      t.equal(await store.findUserForLogin('nobody-here'), null);
      const updated = await store.updateUser(a.id, { displayName: 'Alice A.', avatar: 'fox' });
      t.equal(updated.displayName, 'Alice A.');
      t.equal(updated.avatar, 'fox');
    });

    t.test('sessions: refresh tokens work once; reuse revokes the family', async (t) => {
      const u = await makeUser();
      const session = await store.createSession({
        userId: u.id,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      });
      await store.addRefreshToken({
        sessionId: session.id,
        tokenHash: `h1-${session.id}`,
        expiresAt: session.expiresAt,
      });
      const first = await store.useRefreshToken(`h1-${session.id}`, new Date().toISOString());
      t.equal(first.status, 'ok');
      await store.addRefreshToken({
        sessionId: session.id,
        tokenHash: `h2-${session.id}`,
        expiresAt: session.expiresAt,
      });
      const replay = await store.useRefreshToken(`h1-${session.id}`, new Date().toISOString());
      t.equal(replay.status, 'reused');
      t.ok((await store.getSession(session.id))?.revokedAt, 'session revoked on reuse');
      const next = await store.useRefreshToken(`h2-${session.id}`, new Date().toISOString());
      t.equal(next.status, 'invalid', 'the rotated token dies with its family');
      t.equal((await store.useRefreshToken('never-issued', new Date().toISOString())).status, 'invalid');

      const expired = await store.createSession({ userId: u.id, expiresAt: new Date(Date.now() - 1000).toISOString() });
      await store.addRefreshToken({
        sessionId: expired.id,
        tokenHash: `h3-${expired.id}`,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      });
      t.equal(
        (await store.useRefreshToken(`h3-${expired.id}`, new Date().toISOString())).status,
        'invalid',
        'no refresh past the session end',
      );
    });

    t.test('api tokens: stored by hash, listed, deleted', async (t) => {
      const u = await makeUser();
      const other = await makeUser();
      const tok = await store.createApiToken({ userId: u.id, name: 'ci', tokenHash: `th-${u.id}` });
      t.equal((await store.useApiToken(`th-${u.id}`, new Date().toISOString()))?.id, tok.id);
      t.same(
        (await store.listApiTokens(u.id)).map((x) => x.id),
        [tok.id],
      );
      t.equal(await store.deleteApiToken(other.id, tok.id), false, 'only the owner deletes');
      t.equal(await store.deleteApiToken(u.id, tok.id), true);
      t.equal(await store.useApiToken(`th-${u.id}`, new Date().toISOString()), null);
    });

    t.test('the log: seq 1, 2, 3 ... per room, events published after commit in order', async (t) => {
      const owner = await makeUser();
      const member = await makeUser();
      const { room, event: created } = await store.createRoom({ name: 'r', topic: '', kind: 'public', owner });
      t.equal(created.seq, 1);
      t.equal(created.type, 'member.joined');
      const joined = await store.addMember(room.id, member, 'member', member);
      t.equal(joined.event.seq, 2);
      t.equal(joined.membership.deliveredSeq, 1, 'a newcomer starts at the room head');
      await rejects(store.addMember(room.id, member, 'member', member), 409, 'ALREADY_MEMBER');
      const posts = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.postMessage(room.id, i % 2 ? owner : member, { text: `m${i} — ünï 🎉 "q" \\ \n`, attachments: [] }),
        ),
      );
      const seqs = posts.map((p) => p.message.seq).sort((a, b) => a - b);
      t.same(
        seqs,
        Array.from({ length: 20 }, (_, i) => i + 3),
        'no gap, no reuse under concurrent appends',
      );
      t.ok(
        posts.every((p) => p.created && p.message.clientId === null),
        'each post stored, none with a client key',
      );
      const log = await store.eventsAfter(room.id, 0, 1000);
      t.same(
        log.map((e) => e.seq),
        Array.from({ length: 22 }, (_, i) => i + 1),
      );
      for (const e of log.filter((x) => x.type === 'message.created')) {
        const m = (e.payload as { message: { seq: number; createdAt: string } }).message;
        t.equal(m.seq, e.seq, 'a replayed message.created carries the message with its seq');
        t.equal(m.createdAt, e.at);
      }
      t.equal((await store.getRoom(room.id))?.lastSeq, 22, 'lastSeq follows the log');
      await untilSeen(room.id, 22);
      const fed = new Map(seen.filter((e) => e.roomId === room.id).map((e) => [e.seq, e]));
      const asJson = (e: RoomEvent | undefined) => JSON.parse(JSON.stringify(e ?? null)) as unknown;
      t.same(
        log.map(asJson),
        log.map((e) => asJson(fed.get(e.seq))),
        'read back, every event serialises as the feed published it',
      );
      const published = seen.filter((e) => e.roomId === room.id).map((e) => e.seq);
      t.same(
        published,
        published.slice().sort((a, b) => a - b),
        'the feed delivers in seq order',
      );
      t.same(await store.eventsAfter(room.id, 20, 1), [log[20]], 'paging the log');
      // (A limit of 0 means "no limit" to MongoDB and a negative one means the same to SQLite.)
      t.same(await store.eventsAfter(room.id, 0, 0), [], 'a limit of 0 returns nothing');
      t.same(await store.eventsAfter(room.id, 0, -1), [], 'and so does a negative one');
      await rejects(
        store.postMessage('nosuchroom000000', owner, { text: 'x', attachments: [] }),
        404,
        'ROOM_NOT_FOUND',
      );
      t.equal((await store.getRoom(room.id))?.lastSeq, 22, 'a failed append changes nothing');

      // Failing appends among concurrent good ones (a store may commit them together): each failure rolls back
      // alone, with its own error; the good ones are stored with consecutive seqs.
      const mixed = await Promise.allSettled([
        store.postMessage(room.id, owner, { text: 'good 1', attachments: [] }),
        store.postMessage(room.id, owner, { text: 'bad attachment', attachments: ['nosuchupload0000'] }),
        store.postMessage(room.id, member, { text: 'good 2', attachments: [] }),
        store.postMessage('nosuchroom000000', owner, { text: 'no room', attachments: [] }),
        store.addMember(room.id, member, 'member', member),
        store.postMessage(room.id, member, { text: 'good 3', attachments: [] }),
      ]);
      t.same(
        mixed.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      const codes = mixed.map((r) => (r.status === 'rejected' ? (r.reason as StoreError).code : null));
      t.same(
        codes,
        [null, 'INVALID_ATTACHMENT', null, 'ROOM_NOT_FOUND', 'ALREADY_MEMBER', null],
        'each failure with its own error',
      );
      const tail = await store.eventsAfter(room.id, 22, 100);
      t.same(
        tail.map((e) => [e.seq, (e.payload.message as { text: string }).text]).sort(),
        [
          [23, 'good 1'],
          [24, 'good 2'],
          [25, 'good 3'],
        ].sort(),
        'only the good ones, consecutive',
      );
      t.equal((await store.getRoom(room.id))?.lastSeq, 25);
    });

    t.test(
      'client keys: a retried post returns its message and writes nothing, also when the copies race',
      async (t) => {
        const [owner, other] = [await makeUser('key'), await makeUser('key')];
        const { room } = await store.createRoom({ name: 'keys', topic: '', kind: 'public', owner });
        const { room: second } = await store.createRoom({ name: 'keys2', topic: '', kind: 'public', owner });
        await store.addMember(room.id, other, 'member', other);
        const first = await store.postMessage(room.id, owner, { text: 'once', attachments: [], clientId: 'k-1' });
        t.ok(first.created, 'first post stored');
        t.equal(first.message.clientId, 'k-1', 'the message keeps its key');
        const again = await store.postMessage(room.id, owner, { text: 'once', attachments: [], clientId: 'k-1' });
        t.notOk(again.created, 'the retry is recognised');
        t.same(again.message, first.message, 'and answered with the same message');
        t.equal((await store.getRoom(room.id))?.lastSeq, first.message.seq, 'nothing appended');
        const byOther = await store.postMessage(room.id, other, { text: 'once', attachments: [], clientId: 'k-1' });
        t.ok(byOther.created, 'keys are per author');
        await untilSeen(room.id, byOther.message.seq);
        const fed = seen.filter((e) => e.roomId === room.id && e.seq >= first.message.seq).map((e) => e.seq);
        t.same(fed, [first.message.seq, byOther.message.seq], 'the feed carried the post once, nothing for the retry');
        t.ok(
          (await store.postMessage(second.id, owner, { text: 'once', attachments: [], clientId: 'k-1' })).created,
          'and per room',
        );
        const racing = await Promise.all(
          Array.from({ length: 6 }, () =>
            store.postMessage(room.id, owner, { text: 'raced', attachments: [], clientId: 'k-2' }),
          ),
        );
        t.equal(racing.filter((r) => r.created).length, 1, 'racing copies: one stored');
        t.equal(new Set(racing.map((r) => r.message.seq)).size, 1, 'all answered with its seq');
        const texts = (await store.listMessages(room.id, { limit: 50 })).map((m) => m.text);
        t.equal(texts.filter((x) => x === 'raced').length, 1, 'history holds it once');
        t.equal((await store.getMessage(room.id, first.message.seq))?.clientId, 'k-1', 'read back with its key');
      },
    );

    t.test('direct rooms: one per pair, both members join as themselves', async (t) => {
      const a = await makeUser();
      const b = await makeUser();
      const first = await store.openDirectRoom(a, b);
      const again = await store.openDirectRoom(b, a);
      t.equal(first.created, true);
      t.equal(again.created, false);
      t.equal(again.room.id, first.room.id, 'the same room whichever side asks');
      t.equal(first.room.kind, 'direct');
      const log = await store.eventsAfter(first.room.id, 0, 10);
      t.same(
        log.map((e) => [e.type, e.actor?.id, (e.payload as { user: { id: string } }).user.id]),
        [
          ['member.joined', a.id, a.id],
          ['member.joined', b.id, b.id],
        ],
      );
      t.equal((await store.listRoomsOfUser(b.id)).find((r) => r.room.id === first.room.id)?.peer?.id, a.id);
    });

    t.test('messages: pages, edit, delete', async (t) => {
      const owner = await makeUser();
      const { room } = await store.createRoom({ name: 'r', topic: '', kind: 'private', owner });
      for (let i = 1; i <= 5; i++) await store.postMessage(room.id, owner, { text: `m${i}`, attachments: [] });
      const latest = await store.listMessages(room.id, { limit: 2 });
      t.same(
        latest.map((m) => m.text),
        ['m5', 'm4'],
        'newest first',
      );
      const older = await store.listMessages(room.id, { before: latest[1]!.seq, limit: 10 });
      t.same(
        older.map((m) => m.text),
        ['m3', 'm2', 'm1'],
      );
      const after = await store.listMessages(room.id, { after: older[1]!.seq, limit: 2 });
      t.same(
        after.map((m) => m.text),
        ['m3', 'm4'],
        'ascending after',
      );
      const edited = await store.editMessage(room.id, latest[0]!.seq, owner, 'm5 edited');
      t.equal(edited.event.type, 'message.edited');
      t.equal(edited.message.text, 'm5 edited');
      t.ok(edited.message.editedAt);
      const deleted = await store.deleteMessage(room.id, latest[0]!.seq, owner);
      t.equal(deleted.event.type, 'message.deleted');
      t.equal(deleted.message.text, null);
      t.ok((await store.getMessage(room.id, latest[0]!.seq))?.deletedAt);
      await rejects(store.editMessage(room.id, latest[0]!.seq, owner, 'again'), 404, 'MESSAGE_NOT_FOUND');
      await rejects(store.deleteMessage(room.id, 9999, owner), 404, 'MESSAGE_NOT_FOUND');
    });

    t.test('rooms: list, update, members, roles, delete', async (t) => {
      const owner = await makeUser();
      const stranger = await makeUser();
      const { room: pub } = await store.createRoom({ name: 'pub', topic: 't', kind: 'public', owner });
      const { room: priv } = await store.createRoom({ name: 'priv', topic: '', kind: 'private', owner });
      const strangerView = await store.listPublicRooms(stranger.id, { limit: 10_000 });
      t.ok(
        strangerView.some((r) => r.id === pub.id),
        'public room offered to join',
      );
      t.notOk(
        strangerView.some((r) => r.id === priv.id),
        'private room hidden',
      );
      t.same(await store.listRoomsOfUser(stranger.id), [], 'the stranger is in no room');
      t.notOk(
        (await store.listPublicRooms(owner.id, { limit: 10_000 })).some((r) => r.id === pub.id),
        'not offered to its members',
      );
      const ownerView = await store.listRoomsOfUser(owner.id);
      t.equal(ownerView.find((r) => r.room.id === priv.id)?.membership?.role, 'owner');

      const { room: renamed, event } = await store.updateRoom(pub.id, owner, { name: 'pub2' });
      t.equal(renamed.name, 'pub2');
      t.equal(renamed.topic, 't', 'untouched fields stay');
      t.equal(event.type, 'room.updated');

      await store.addMember(priv.id, stranger, 'member', owner);
      const promoted = await store.setRole(priv.id, stranger, 'admin', owner);
      t.equal(promoted.membership.role, 'admin');
      t.equal(promoted.event.type, 'member.role');
      const members = await store.listMembers(priv.id);
      t.same(
        members.map((m) => [m.user.username, m.role]),
        [
          [owner.username, 'owner'],
          [stranger.username, 'admin'],
        ],
      );
      // Ownership transfer is one transaction: the new owner and the old owner's step down commit together.
      const before = (await store.getRoom(priv.id))!.lastSeq;
      const transferred = await store.setRole(priv.id, stranger, 'owner', owner);
      t.equal(transferred.membership.role, 'owner');
      t.equal((await store.getRoom(priv.id))!.ownerId, stranger.id, 'the room names its new owner');
      t.same(
        (await store.listMembers(priv.id)).map((m) => [m.user.username, m.role]).sort(),
        [
          [owner.username, 'admin'],
          [stranger.username, 'owner'],
        ].sort(),
        'exactly one owner after a transfer',
      );
      const transferEvents = await store.eventsAfter(priv.id, before, 10);
      t.same(
        transferEvents.map((e) => [
          e.type,
          (e.payload as { user: PublicUser }).user.id,
          (e.payload as { role: string }).role,
        ]),
        [
          ['member.role', stranger.id, 'owner'],
          ['member.role', owner.id, 'admin'],
        ],
        'both role changes are in the log, in order',
      );
      await store.setRole(priv.id, owner, 'owner', stranger);
      await store.setRole(priv.id, stranger, 'admin', owner);
      const left = await store.removeMember(priv.id, stranger, owner, 'removed');
      t.equal(left.type, 'member.left');
      t.equal((left.payload as { reason: string }).reason, 'removed');
      t.equal(await store.getMembership(priv.id, stranger.id), null);
      await rejects(store.removeMember(priv.id, stranger, owner, 'removed'), 404, 'NOT_A_MEMBER');

      const del = await store.deleteRoom(pub.id, owner);
      t.equal(del.event.type, 'room.deleted');
      t.equal(await store.getRoom(pub.id), null, 'a deleted room reads as missing');
      t.notOk((await store.listRoomsOfUser(owner.id)).some((r) => r.room.id === pub.id));
      t.notOk((await store.listPublicRooms(stranger.id, { limit: 10_000 })).some((r) => r.id === pub.id));
      await rejects(store.postMessage(pub.id, owner, { text: 'x', attachments: [] }), 404, 'ROOM_NOT_FOUND');
    });

    /** Resolves with the first value `pick` returns (not undefined) for something an async source reports. */
    const next = <T, V>(
      subscribe: (cb: (v: V) => void) => () => void,
      pick: (v: V) => T | undefined,
      what: string,
      ms = 10_000,
    ): Promise<T> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), ms);
        const off = subscribe((v) => {
          const hit = pick(v);
          if (hit === undefined) return;
          clearTimeout(timer);
          off();
          resolve(hit);
        });
      });

    t.test(
      'failure counts: one window per key, every failure counted, gone when it closes or is cleared',
      async (t) => {
        const key = `k${Date.now().toString(36)}`;
        t.equal(await store.failures.get(key), null, 'no failures yet');
        await Promise.all(Array.from({ length: 10 }, () => store.failures.add(key, 60_000)));
        const window = await store.failures.get(key);
        t.equal(window?.count, 10, 'concurrent failures all counted');
        // Windows are timed by the store's clock (MongoDB's, not this machine's): compare two windows opened one after
        // the other, 60 s and 120 s long, instead of comparing with Date.now().
        await store.failures.add(`${key}-long`, 120_000);
        const longer = await store.failures.get(`${key}-long`);
        const apart = (longer?.resetAt ?? 0) - (window?.resetAt ?? 0);
        t.ok(
          apart >= 60_000 && apart < 60_000 + 5000,
          `the window closes windowMs after the first failure (${apart} ms)`,
        );
        await store.failures.add(key, 60_000);
        t.equal((await store.failures.get(key))?.resetAt, window?.resetAt, 'later failures do not move the window');
        t.equal(await store.failures.get(`${key}x`), null, 'keys are separate');
        await store.failures.clear(key);
        t.equal(await store.failures.get(key), null, 'cleared');
        await store.failures.add(key, 300);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        t.equal(await store.failures.get(key), null, 'a closed window reads as none');
        await store.failures.add(key, 60_000);
        t.equal((await store.failures.get(key))?.count, 1, 'and the next failure opens a new one');
      },
    );

    t.test('cursor bases: read back by id, stored again harmlessly, unknown ids read as none', async (t) => {
      const id = `c${Date.now().toString(36)}`.padEnd(12, '0').slice(0, 12);
      const text = 'AAAAAAAAAAAAAAAA:3,BBBBBBBBBBBBBBBB:0';
      t.equal(await store.cursorBases.load(id), null, 'none yet');
      // Two streams reaching the same positions at once store the same base.
      await Promise.all([store.cursorBases.save([{ id, text }]), store.cursorBases.save([{ id, text }])]);
      t.equal(await store.cursorBases.load(id), text);
      await store.cursorBases.save([{ id, text }]);
      t.equal(await store.cursorBases.load(id), text, 'saved again: unchanged');
      t.equal(await store.cursorBases.load(`${id.slice(0, 11)}x`), null, 'ids are separate');
      // Several at once, one of them already stored.
      const more = [`${id.slice(0, 11)}1`, `${id.slice(0, 11)}2`];
      await store.cursorBases.save([
        { id: more[0]!, text: 'AAAAAAAAAAAAAAAA:1' },
        { id, text },
        { id: more[1]!, text: 'AAAAAAAAAAAAAAAA:2' },
      ]);
      t.same(
        await Promise.all([...more, id].map((x) => store.cursorBases.load(x))),
        ['AAAAAAAAAAAAAAAA:1', 'AAAAAAAAAAAAAAAA:2', text],
        'a batch is stored whole',
      );
    });

    t.test('members in pages: the same order as the whole list, without loss or repeat, and filtered', async (t) => {
      const owner = await makeUser('Pg');
      const { room } = await store.createRoom({ name: 'paged', topic: '', kind: 'public', owner });
      const names = ['Zed', 'amy', 'Bob', 'cat_1', 'cat21', 'dan', 'Eve', 'fay'];
      const people: PublicUser[] = [];
      for (const name of names) {
        const u = await store.createUser({
          username: `${name}${Date.now().toString(36)}${++n}`,
          email: `${name}${n}@example.com`,
          passwordHash: 'x',
          displayName: `${name} Person`,
          gender: 'unspecified',
          avatar: null,
        });
        const user = { id: u.id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar };
        await store.addMember(room.id, user, 'member', user);
        people.push(user);
      }
      await store.setRole(room.id, people[3]!, 'admin', owner);
      await store.setRole(room.id, people[6]!, 'admin', owner);
      const whole = (await store.listMembers(room.id)).map((m) => m.user.username);
      t.equal(whole.length, 9);
      for (const size of [1, 2, 4, 9, 20]) {
        const paged: string[] = [];
        let after: MembersPage['after'] = null;
        for (let pages = 0; pages < 20; pages++) {
          const page = await store.listMembersPage(room.id, { after, limit: size, query: null });
          paged.push(...page.map((m) => m.user.username));
          if (page.length < size) break;
          after = { role: page[page.length - 1]!.role, username: page[page.length - 1]!.user.username };
        }
        t.same(paged, whole, `pages of ${size}: every member once, in the order of the whole list`);
      }
      const found = async (query: string) =>
        (await store.listMembersPage(room.id, { after: null, limit: 100, query })).map((m) => m.userId);
      t.same(await found('CAT'), [people[3]!.id, people[4]!.id], 'any case; the admin first');
      t.same(await found('cat_'), [people[3]!.id], 'an underscore is itself, not any character');
      t.same(await found('%'), [], 'and so is a percent sign');
      t.same(await found('y person'), [people[1]!.id, people[7]!.id], 'display names too');
      t.same(
        (
          await store.listMembersPage(room.id, { after: { role: 'admin', username: '' }, limit: 100, query: 'cat' })
        ).map((m) => m.userId),
        [people[3]!.id, people[4]!.id],
        'filtered pages follow the same order',
      );
    });

    t.test('signals: what one publishes reaches the listeners, this instance included', async (t) => {
      const roomId = `sig${Date.now().toString(36)}`;
      const data = { roomId, user: await makeUser('typer'), expiresInMs: 5000 };
      const got = next<Signal, Signal>(
        (cb) => store.signals.onSignal(cb),
        (s) => (s.roomId === roomId ? s : undefined),
        'the signal',
      );
      store.signals.publish({ roomId, type: 'typing', data });
      const signal = await got;
      t.equal(signal.type, 'typing');
      t.same(signal.data, data, 'the data arrives as sent');
      const receipt = next<unknown, Signal>(
        (cb) => store.signals.onSignal(cb),
        (s) => (s.roomId === roomId ? s.data : undefined),
        'the receipt',
      );
      store.signals.publish({ roomId, type: 'receipt', data: { roomId, deliveredSeq: 3, readSeq: 2 } });
      t.same(await receipt, { roomId, deliveredSeq: 3, readSeq: 2 });
    });

    t.test('presence: online while this instance says so, changes reported, gone when it stops', async (t) => {
      const [alice, bob] = [await makeUser('here'), await makeUser('there')];
      const roomId = `pres${Date.now().toString(36)}`;
      t.same([...(await store.presence.online(roomId))], [], 'nobody online in a new room');
      const change = (userId: string, online: boolean) =>
        next<true, PresenceChange>(
          (cb) => store.presence.onChange(cb),
          (c) => (c.roomId === roomId && c.user.id === userId && c.online === online ? true : undefined),
          `${userId} ${online ? 'online' : 'offline'}`,
        );
      let arrived = change(alice.id, true);
      await store.presence.set(roomId, alice, true);
      await arrived;
      t.pass('alice reported online');
      t.same([...(await store.presence.online(roomId))], [alice.id], 'alice is online');
      arrived = change(bob.id, true);
      await store.presence.set(roomId, bob, true);
      await store.presence.set(roomId, bob, true); // said twice: still one user
      await arrived;
      t.same([...(await store.presence.online(roomId))].sort(), [alice.id, bob.id].sort(), 'both online, once each');
      t.same([...(await store.presence.online(`${roomId}x`))], [], 'presence is per room');
      const gone = change(alice.id, false);
      await store.presence.set(roomId, alice, false);
      await gone;
      t.same([...(await store.presence.online(roomId))], [bob.id], 'alice went offline, bob stays');
    });

    threadContract(t, store, { makeUser, rejects, untilSeen, seen });

    t.test('room directory: public rooms you are not in, newest first, paged without loss or repeat', async (t) => {
      const [owner, visitor] = [await makeUser('dir'), await makeUser('visit')];
      for (let i = 0; i < 5; i++) await store.createRoom({ name: `dir${++n}`, topic: '', kind: 'public', owner });
      const { room: joined } = await store.createRoom({ name: `dir${++n}`, topic: '', kind: 'public', owner });
      await store.addMember(joined.id, visitor, 'member', visitor);
      const all = await store.listPublicRooms(visitor.id, { limit: 10_000 });
      t.notOk(
        all.some((r) => r.id === joined.id),
        'a room the visitor joined is not offered',
      );
      const key = (r: { createdAt: string; id: string }) => [r.createdAt, r.id] as const;
      // Ties (rooms created in the same millisecond) go by id in code-unit order, as both stores compare strings;
      // localeCompare would put "c..." before "J...", which the stores do not.
      const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      const sorted = [...all].sort((x, y) =>
        x.createdAt === y.createdAt ? byCodeUnit(x.id, y.id) : byCodeUnit(y.createdAt, x.createdAt),
      );
      t.same(
        all.map((r) => r.id),
        sorted.map((r) => r.id),
        'newest first, ties by id',
      );
      const paged: string[] = [];
      let after: { createdAt: string; id: string } | undefined;
      for (;;) {
        const page = await store.listPublicRooms(visitor.id, { limit: 2, after });
        t.ok(page.length <= 2, 'a page holds at most its limit');
        if (page.length === 0) break;
        paged.push(...page.map((r) => r.id));
        const [createdAt, id] = key(page.at(-1)!);
        after = { createdAt, id };
      }
      t.same(
        paged,
        all.map((r) => r.id),
        'paging by two gives every room once, in order',
      );
      t.same(await store.listPublicRooms(visitor.id, { limit: 0 }), [], 'a zero limit gives nothing');
    });

    reactionsContract(t, store, makeUser);
    mentionsContract(t, store, makeUser);
    receiptsContract(t, store, makeUser);

    t.test('redaction: the log keeps no deleted text and no previous text of an edit', async (t) => {
      const author = await makeUser('redact');
      const { room } = await store.createRoom({ name: `redact${++n}`, topic: '', kind: 'public', owner: author });
      const texts = (events: RoomEvent[]) =>
        events
          .filter((e) => e.type.startsWith('message.'))
          .map((e) => [e.type, (e.payload as { message: { text: string | null } }).message.text]);
      const { message } = await store.postMessage(room.id, author, { text: 'my password is hunter2', attachments: [] });
      const kept = await store.postMessage(room.id, author, { text: 'an unrelated message', attachments: [] });
      await store.editMessage(room.id, message.seq, author, 'my password is ********');
      await store.editMessage(room.id, message.seq, author, 'nothing to see');
      t.same(
        texts(await store.eventsAfter(room.id, 0, 100)),
        [
          ['message.created', 'nothing to see'],
          ['message.created', 'an unrelated message'],
          ['message.edited', 'nothing to see'],
          ['message.edited', 'nothing to see'],
        ],
        'every copy of an edited message holds its current text; other messages are untouched',
      );
      await store.deleteMessage(room.id, message.seq, author);
      const log = await store.eventsAfter(room.id, 0, 100);
      t.same(
        texts(log),
        [
          ['message.created', null],
          ['message.created', 'an unrelated message'],
          ['message.edited', null],
          ['message.edited', null],
          ['message.deleted', null],
        ],
        'a deleted message leaves its events, with no text',
      );
      t.notMatch(JSON.stringify(log), /hunter2|\*{8}|nothing to see/, 'no earlier text anywhere in the log');
      const messageEvents = log.filter((e) => e.type.startsWith('message.'));
      t.same(
        messageEvents.map((e) => e.seq),
        [0, 1, 2, 3, 4].map((i) => i + message.seq),
        'the events keep their seqs',
      );
      t.equal((await store.getMessage(room.id, kept.message.seq))?.text, 'an unrelated message');
    });
  });
}
