import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { MongoStore } from '../../server/store/mongo/mongo-store.js';
import { api, newRoom, newUser, startApp, stream, type TestApp, type TestUser } from '../helpers/app.js';
import { startServer } from '../browser/harness.js';
import { ephemeralsCrossInstances, loginLimitCrossInstances } from '../helpers/instances.js';
import { statesOf } from '../helpers/presence.js';
import {
  dropDatabase,
  freshDbName,
  MONGODB_URI,
  openStore,
  ResilientStream,
  SKIP_REASON,
  uriWithDb,
  withConnection,
} from './support.js';

/**
 * N instances on one replica set: two app instances, each with its own MongoStore connection (and so its
 * own change stream) on one fresh database, as two processes would have.
 */
if (!MONGODB_URI) {
  t.test('MongoDB multi-instance', { skip: SKIP_REASON }, async () => {});
} else {
  // An election and the streams catching up after it can take a while; allow more than the default file timeout.
  t.setTimeout(240_000);
  const uri = MONGODB_URI;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** host:port of the current primary (waits for one, like any primary read). */
  const primaryOf = (uri: string) =>
    withConnection(uri, async (conn) => (await conn.db!.admin().command({ hello: 1 })).primary as string);

  t.test('MongoDB multi-instance', async (t) => {
    const dbName = freshDbName('parley_multi');
    const env = {
      MONGODB_URI: uri,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      PRESENCE_GRACE_MS: '300',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    };
    const stores: MongoStore[] = [await openStore(uri, dbName), await openStore(uri, dbName)];
    const a: TestApp = await startApp({ store: stores[0], env });
    const b: TestApp = await startApp({ store: stores[1], env });
    t.teardown(async () => {
      await a.close();
      await b.close();
      for (const s of stores) await s.close();
      await dropDatabase(uri, dbName);
    });

    const health = await api(a.url, 'GET', '/api/health');
    t.equal(health.body.store, 'mongo', 'health reports the mongo store');
    t.equal(health.body.feed, 'live', 'and a live change stream');

    // Accounts and tokens made on one instance work on the other (shared database, shared JWT_SECRET).
    const alice = await newUser(a.url);
    const bob = await newUser(b.url);
    const room = await newRoom(a.url, alice, { name: 'multi' });
    const joined = await api(b.url, 'POST', `/api/rooms/${room.id}/join`, { token: bob.token });
    t.ok(joined.status === 200 || joined.status === 201, `bob joins through B (${joined.status})`);

    /** POSTs a message: its seq on 201; null on a network error or a 5xx (worth a retry); throws on anything else. */
    const send = async (base: string, user: TestUser, text: string, clientId?: string): Promise<number | null> => {
      let res;
      try {
        res = await api(base, 'POST', `/api/rooms/${room.id}/messages`, {
          token: user.token,
          body: clientId ? { text, clientId } : { text },
        });
      } catch {
        return null;
      }
      if (res.status === 201 || (clientId && res.status === 200)) return res.body.message.seq as number;
      if (res.status >= 500) return null;
      throw new Error(`POST answered ${res.status} ${JSON.stringify(res.body)}`);
    };
    const head = async (): Promise<number> =>
      (await api(a.url, 'GET', `/api/rooms/${room.id}`, { token: alice.token })).body.room.lastSeq as number;

    /** Every seq from first to last exactly once, ascending. */
    const consecutive = (seqs: number[]) => seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);

    await t.test('posts made concurrently on A and B reach subscribers on A (and B) once, in seq order', async (t) => {
      const start = await head();
      const onA = await stream(a.url, `/api/rooms/${room.id}/events`, {
        token: alice.token,
        lastEventId: String(start),
      });
      const onB = await stream(b.url, `/api/rooms/${room.id}/events`, { token: bob.token, lastEventId: String(start) });
      t.teardown(() => (onA.close(), onB.close()));
      const n = 30;
      const seqs = await Promise.all(
        Array.from({ length: n }, (_, i) => (i % 2 ? send(a.url, alice, `a${i}`) : send(b.url, bob, `b${i}`))),
      );
      t.notOk(seqs.includes(null), 'every POST answered 201');
      const posted = (seqs as number[]).slice().sort((x, y) => x - y);
      t.same(
        posted,
        Array.from({ length: n }, (_, i) => start + 1 + i),
        'seqs are consecutive, none reused',
      );
      for (const [name, s] of [
        ['A', onA],
        ['B', onB],
      ] as const) {
        await s.waitFor(() => s.stored().length >= n, 20_000, `${n} events on ${name}`);
        const got = s.stored().map((e) => Number(e.id));
        t.same(got, posted, `subscriber on ${name}: every post once, in seq order`);
        const texts = s.stored().map((e) => e.json.payload.message.text as string);
        t.equal(new Set(texts).size, n, `subscriber on ${name}: no duplicate message`);
      }
      t.equal(onA.events.filter((e) => e.event === 'reset').length, 0, 'no reset');
    });

    await t.test('a subscriber dropped from A resumes on B with its Last-Event-ID', async (t) => {
      const start = await head();
      const first = await stream(a.url, `/api/rooms/${room.id}/events`, {
        token: alice.token,
        lastEventId: String(start),
      });
      for (let i = 0; i < 5; i++) await send(a.url, alice, `before ${i}`);
      await first.waitFor(() => first.stored().length >= 5, 20_000, 'the first five on A');
      const lastId = first.lastId()!;
      first.close();
      await first.done;
      // Missed while away, posted on both instances; then more racing with the resume.
      for (let i = 0; i < 5; i++) await send(i % 2 ? a.url : b.url, alice, `away ${i}`);
      const resumed = await stream(b.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: lastId });
      t.teardown(() => resumed.close());
      const racing = await Promise.all(
        Array.from({ length: 5 }, (_, i) => send(i % 2 ? a.url : b.url, bob, `race ${i}`)),
      );
      t.notOk(racing.includes(null), 'racing POSTs answered 201');
      const end = await head();
      await resumed.waitFor(() => Number(resumed.lastId()) >= end, 20_000, `events up to ${end} on B`);
      t.same(
        resumed.stored().map((e) => Number(e.id)),
        Array.from({ length: end - Number(lastId) }, (_, i) => Number(lastId) + 1 + i),
        'everything after Last-Event-ID, once, in order',
      );
    });

    await t.test("presence, typing and receipts cross instances; a crashed instance's users go offline", async (t) => {
      const onA = await ephemeralsCrossInstances(t, a, b, room.id, alice, bob);
      t.teardown(() => onA.close());
      const bobOnline = () => statesOf(onA.ephemeral, bob.id);
      const bobListed = async () =>
        (await api(a.url, 'GET', `/api/rooms/${room.id}/members`, { token: alice.token })).body.members.find(
          (m: { userId: string }) => m.userId === bob.id,
        ).online as boolean;

      // A third instance, a real process, killed with SIGKILL while bob streams from it: nobody says goodbye. Its
      // presence documents expire (PRESENCE_TTL_MS) and A or B sweeps them.
      const c = await startServer({ env: { ...env, MONGODB_URI: uriWithDb(uri, dbName), PRESENCE_TTL_MS: '3000' } });
      t.teardown(() => c.dispose());
      const onC = await stream(c.url, `/api/rooms/${room.id}/events`, { token: bob.token });
      await onA.waitForEphemeral(() => bobOnline().at(-1) === true, 10_000, 'bob online again, through C');
      t.equal(await bobListed(), true, 'A lists bob online (his stream is on C)');
      await c.stop('SIGKILL');
      await onC.done;
      await onA.waitForEphemeral(() => bobOnline().at(-1) === false, 30_000, 'bob offline after C crashed');
      t.equal(await bobListed(), false, "A lists bob offline once C's presence expired");
      t.same(bobOnline(), [true, false, true, false], 'each change reported once on A');
    });

    await t.test('failed sign-ins on A and B count against one budget', async (t) => {
      await loginLimitCrossInstances(t, a, b, await newUser(a.url));
    });

    await t.test('stepping down the primary while posting loses nothing', async (t) => {
      const start = await head();
      // Clients as a browser would be: reconnect with Last-Event-ID if the stream drops during the election.
      const subA = new ResilientStream([a.url], `/api/rooms/${room.id}/events`, alice.token, String(start));
      const subB = new ResilientStream([b.url, a.url], `/api/rooms/${room.id}/events`, bob.token, String(start));
      t.teardown(() => Promise.all([subA.close(), subB.close()]));

      const acknowledged: number[] = [];
      let retried = 0;
      let stop = false;
      const worker = async (w: number) => {
        const [base, user] = w % 2 ? [a.url, alice] : [b.url, bob];
        // Posts until told to stop (at least 5, at most 300): before, during and after the election.
        for (let i = 0; i < 300 && (i < 5 || !stop); i++) {
          // A POST that failed (network error or 5xx) is retried, as a client would; only 201s count.
          for (let attempt = 0; ; attempt++) {
            // Every attempt carries the same key: a retry after a lost answer must not store the message twice.
            const seq = await send(base, user, `w${w} m${i}`, `w${w}-m${i}`);
            if (seq !== null) {
              acknowledged.push(seq);
              break;
            }
            retried++;
            if (attempt >= 120) throw new Error(`worker ${w}: message ${i} never accepted`);
            await sleep(250);
          }
        }
      };
      const workers = Array.from({ length: 4 }, (_, w) => worker(w));

      await sleep(500);
      const before = await primaryOf(uri);
      await withConnection(uri, async (conn) => {
        try {
          // The primary steps down for 10 s and a secondary is elected. Older servers drop the connection in reply.
          await conn.db!.admin().command({ replSetStepDown: 10, secondaryCatchUpPeriodSecs: 5 });
        } catch (err) {
          t.comment(`replSetStepDown: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
      let after = before;
      for (let i = 0; i < 120 && after === before; i++) {
        await sleep(500);
        after = await primaryOf(uri).catch(() => before);
      }
      t.not(after, before, `a new primary was elected (${before} -> ${after})`);
      await sleep(1000); // keep posting on the new primary for a moment
      stop = true;
      await Promise.all(workers);
      t.comment(`${acknowledged.length} POSTs acknowledged, ${retried} failed attempts retried`);

      const last = Math.max(...acknowledged);
      await subA.waitForSeq(last, 60_000);
      await subB.waitForSeq(last, 60_000);
      for (const [name, sub] of [
        ['A', subA],
        ['B', subB],
      ] as const) {
        const got = sub.seqs();
        t.ok(
          consecutive(got) && got[0] === start + 1,
          `subscriber ${name}: seqs ${start + 1}.. in order, no gap, no duplicate`,
        );
        const missing = acknowledged.filter((s) => !got.includes(s));
        t.same(missing, [], `subscriber ${name}: every 201 was delivered`);
        const texts = sub.events
          .map((e) => e.json.payload.message?.text as string | undefined)
          .filter((x) => x?.startsWith('w'));
        t.equal(new Set(texts).size, texts.length, `subscriber ${name}: no message stored twice, retries included`);
        t.same(sub.resets, [], `subscriber ${name}: no reset`);
        t.comment(`subscriber ${name}: ${got.length} events, ${sub.reconnects} reconnects`);
      }
      for (const app of [a, b]) {
        let feed = '';
        for (let i = 0; i < 100 && feed !== 'live'; i++) {
          feed = (await api(app.url, 'GET', '/api/health')).body.feed;
          if (feed !== 'live') await sleep(200);
        }
        t.equal(feed, 'live', 'the change stream is live again after the election');
      }
    });
  });
}
