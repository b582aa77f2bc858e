import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { MongoStore } from '../../server/store/mongo/mongo-store.js';
import { api, join, newRoom, newUser, post, startApp, stream, type TestApp, type TestUser } from '../helpers/app.js';
import type { SseEvent } from '../helpers/sse.js';
import { configure, failCommand, memberUri, members, uriWithParams, waitForFailPoint } from './failpoints.js';
import { dropDatabase, freshDbName, MONGODB_URI, openStore, ResilientStream, SKIP_REASON } from './support.js';

/**
 * Failover with failpoints (configureFailPoint failCommand; the members need enableTestCommands=1, as
 * mongo-replica.yml sets): the change stream's position lost during a join and posts, an unclean step-down during
 * concurrent posts, a blocked getMore. Two instances in this process, A and B, each with its own MongoStore; A's
 * connection carries appName=parleyA so that a failpoint can hit A's change stream alone.
 */
if (!MONGODB_URI) {
  t.test('MongoDB failover', { skip: SKIP_REASON }, async () => {});
} else {
  t.setTimeout(300_000);
  const uri = MONGODB_URI;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const consecutive = (seqs: number[]) => seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);

  t.test('MongoDB failover', async (t) => {
    const dbName = freshDbName('parley_failover');
    const env = { MONGODB_URI: uri, JWT_SECRET: randomBytes(32).toString('base64url'), PRESENCE_GRACE_MS: '300' };
    const storeA: MongoStore = await openStore(uriWithParams(uri, { appName: 'parleyA' }), dbName);
    const storeB: MongoStore = await openStore(uriWithParams(uri, { appName: 'parleyB' }), dbName);
    const a: TestApp = await startApp({ store: storeA, env });
    const b: TestApp = await startApp({ store: storeB, env });
    t.teardown(async () => {
      await configure(uri, failCommand('off')).catch(() => {});
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
      await dropDatabase(uri, dbName);
    });
    const alice = await newUser(a.url);
    const bob = await newUser(b.url);

    /** Waits for GET /api/health on `app` to say the change stream is live. */
    const live = async (app: TestApp) => {
      for (let i = 0; i < 150; i++) {
        if ((await api(app.url, 'GET', '/api/health')).body.feed === 'live') return true;
        await sleep(200);
      }
      return false;
    };
    /** A room's stored events on a user stream (whose ids are cursors): their seqs, in arrival order. */
    const seqsOf = (events: SseEvent[], roomId: string) =>
      events.filter((e) => e.id !== undefined && e.json?.roomId === roomId).map((e) => e.json.seq as number);

    await t.test('position lost (286) during a join and posts: nothing is missing afterwards', async (t) => {
      const mine = await newRoom(a.url, alice, { name: 'mine' });
      const theirs = await newRoom(b.url, bob, { name: 'theirs' });
      const userStream = await stream(a.url, '/api/events', { token: alice.token });
      const mineHead = (await api(a.url, 'GET', `/api/rooms/${mine.id}`, { token: alice.token })).body.room.lastSeq;
      t.teardown(() => userStream.close());

      // A's next getMore blocks 4 s and then fails with ChangeStreamHistoryLost, unlabelled (so the driver does not
      // resume by itself): the watcher reopens the stream "from now" and resets. What B commits inside the window
      // reaches A only through the reset's re-read.
      const before = await configure(
        uri,
        failCommand(
          { times: 1 },
          {
            failCommands: ['getMore'],
            appName: 'parleyA',
            errorCode: 286,
            errorLabels: [],
            blockConnection: true,
            blockTimeMS: 4000,
          },
        ),
      );
      await waitForFailPoint(uri, 'failCommand', before + 1);
      await join(b.url, alice, theirs.id);
      for (let i = 0; i < 3; i++) await post(b.url, bob, theirs.id, `lost in theirs ${i}`);
      await post(b.url, alice, mine.id, 'lost in mine');
      // A room stream that starts replaying while the reset comes.
      const replaying = await stream(a.url, `/api/rooms/${mine.id}/events`, {
        token: alice.token,
        lastEventId: String(mineHead),
      });
      t.teardown(() => replaying.close());

      t.ok(await live(a), "A's change stream is live again");
      await post(b.url, bob, theirs.id, 'after the reset');
      const theirsHead = (await api(b.url, 'GET', `/api/rooms/${theirs.id}`, { token: bob.token })).body.room.lastSeq;
      await userStream.waitFor(
        (ev) => seqsOf(ev, theirs.id).includes(theirsHead),
        30_000,
        'the joined room, up to its head',
      );
      const got = seqsOf(userStream.events, theirs.id);
      t.ok(got.length >= 5 && consecutive(got), `the joined room's join and posts, once, in order (${got.join(',')})`);
      t.equal(got.at(-1), theirsHead, 'up to the post after the reset');
      await userStream.waitFor((ev) => seqsOf(ev, mine.id).includes(mineHead + 1), 30_000, 'the post in mine');
      t.same(seqsOf(userStream.events, mine.id), [mineHead + 1], 'the lost post in the other room, once');
      await replaying.waitFor((ev) => ev.some((e) => Number(e.id) === mineHead + 1), 30_000, 'replay');
      t.same(
        replaying.stored().map((e) => Number(e.id)),
        [mineHead + 1],
        'the replaying room stream has the lost commit without another post',
      );
      t.equal(userStream.events.filter((e) => e.event === 'reset').length, 0, 'clients get no reset');
    });

    await t.test(
      'an unclean step-down during concurrent posts: no 201 lost, no duplicate, no skipped seq',
      async (t) => {
        const room = await newRoom(a.url, alice, { name: 'unclean' });
        await join(b.url, bob, room.id);
        const start = (await api(a.url, 'GET', `/api/rooms/${room.id}`, { token: alice.token })).body.room.lastSeq;
        const subA = new ResilientStream([a.url], `/api/rooms/${room.id}/events`, alice.token, String(start));
        const subB = new ResilientStream([b.url, a.url], `/api/rooms/${room.id}/events`, bob.token, String(start));
        t.teardown(() => Promise.all([subA.close(), subB.close()]));

        const acknowledged: number[] = [];
        let stop = false;
        const send = async (base: string, user: TestUser, text: string, clientId: string) => {
          try {
            const res = await api(base, 'POST', `/api/rooms/${room.id}/messages`, {
              token: user.token,
              body: { text, clientId },
            });
            if (res.status === 201 || res.status === 200) return res.body.message.seq as number;
            if (res.status >= 500) return null;
            throw new Error(`POST answered ${res.status} ${JSON.stringify(res.body)}`);
          } catch (err) {
            if (err instanceof Error && err.message.startsWith('POST answered')) throw err;
            return null;
          }
        };
        const worker = async (w: number) => {
          const [base, user] = w % 2 ? [a.url, alice] : [b.url, bob];
          for (let i = 0; i < 300 && (i < 5 || !stop); i++) {
            for (let attempt = 0; ; attempt++) {
              const seq = await send(base, user, `w${w} m${i}`, `w${w}-m${i}`);
              if (seq !== null) {
                acknowledged.push(seq);
                break;
              }
              if (attempt >= 120) throw new Error(`worker ${w}: message ${i} never accepted`);
              await sleep(250);
            }
          }
        };
        const workers = Array.from({ length: 4 }, (_, w) => worker(w));

        await sleep(500);
        const { primary: old } = await members(uri);
        // Commits whose answer is lost (the connection closes at commitTransaction), then the primary is forced down
        // without waiting for its secondaries: writes it had not replicated are rolled back, never acknowledged.
        await configure(uri, failCommand({ times: 6 }, { failCommands: ['commitTransaction'], closeConnection: true }));
        await sleep(300);
        await configure(uri, { replSetStepDown: 10, force: true }).catch((err) =>
          t.comment(`replSetStepDown: ${err instanceof Error ? err.message : String(err)}`),
        );
        t.teardown(() => configure(memberUri(uri, old), failCommand('off')).catch(() => {}));
        let now = old;
        for (let i = 0; i < 120 && now === old; i++) {
          await sleep(500);
          now = await members(uri).then(
            (m) => m.primary,
            () => old,
          );
        }
        t.not(now, old, `a new primary was elected (${old} -> ${now})`);
        await sleep(1000);
        stop = true;
        await Promise.all(workers);

        const last = Math.max(...acknowledged);
        await subA.waitForSeq(last, 60_000);
        await subB.waitForSeq(last, 60_000);
        const log = await storeA.eventsAfter(room.id, start, 1_000_000);
        t.ok(consecutive(log.map((e) => e.seq)), 'the log has no gap');
        t.same(
          acknowledged.filter((s) => !log.some((e) => e.seq === s)),
          [],
          'every acknowledged seq is in the log',
        );
        const texts = log.map((e) => (e.payload as { message?: { text?: string } }).message?.text);
        t.equal(new Set(texts).size, texts.length, 'no message stored twice (clientId retries included)');
        for (const [name, sub] of [
          ['A', subA],
          ['B', subB],
        ] as const) {
          const got = sub.seqs();
          t.same(
            got.slice(0, log.length),
            log.map((e) => e.seq),
            `subscriber ${name}: the log's seqs, once, in order`,
          );
          t.same(
            sub.events.slice(0, log.length).map((e) => e.json.payload),
            log.map((e) => e.payload),
            `subscriber ${name}: the log's payloads (nothing rolled back was shown)`,
          );
          t.same(sub.resets, [], `subscriber ${name}: no reset`);
        }
        t.ok((await live(a)) && (await live(b)), 'both change streams are live again');
      },
    );

    await t.test('a blocked getMore: the stream recovers, and typing notices it held back are dropped', async (t) => {
      const room = await newRoom(a.url, alice, { name: 'blocked' });
      await join(b.url, bob, room.id);
      const start = (await api(a.url, 'GET', `/api/rooms/${room.id}`, { token: alice.token })).body.room.lastSeq;
      const onA = await stream(a.url, `/api/rooms/${room.id}/events`, {
        token: alice.token,
        lastEventId: String(start),
      });
      t.teardown(() => onA.close());

      // Longer than the client's timeoutMS (10 s): the getMore times out on A's side, or returns late; either way
      // the watcher goes on from its token.
      const before = await configure(
        uri,
        failCommand(
          { times: 1 },
          { failCommands: ['getMore'], appName: 'parleyA', blockConnection: true, blockTimeMS: 12_000 },
        ),
      );
      await waitForFailPoint(uri, 'failCommand', before + 1);
      const typed = await api(b.url, 'POST', `/api/rooms/${room.id}/typing`, { token: bob.token });
      t.equal(typed.status, 204, 'bob types while A is blocked');
      for (let i = 0; i < 3; i++) await post(b.url, bob, room.id, `while blocked ${i}`);
      await onA.waitFor(() => onA.stored().length >= 3, 60_000, 'the posts made while blocked');
      t.same(
        onA.stored().map((e) => Number(e.id)),
        [start + 1, start + 2, start + 3],
        'every post, once, in order',
      );
      t.ok(await live(a), "A's change stream is live");
      const typing = () => onA.ephemeral.filter((e) => e.event === 'typing');
      t.same(typing(), [], 'the typing notice held back for more than 5 s is not delivered');
      t.equal((await api(b.url, 'POST', `/api/rooms/${room.id}/typing`, { token: bob.token })).status, 204);
      await onA.waitForEphemeral((ev) => ev.some((e) => e.event === 'typing'), 20_000, 'a fresh typing notice');
      t.equal(typing().length, 1, 'a fresh one is');
      await post(b.url, bob, room.id, 'after');
      await onA.waitFor(() => onA.stored().length >= 4, 20_000, 'a post after recovery');
      t.equal(onA.events.filter((e) => e.event === 'reset').length, 0, 'no reset');
    });
  });
}
