import { randomBytes } from 'node:crypto';
import type { mongo } from 'mongoose';
import sharp from 'sharp';
import t from 'tap';
import { EVENTS_COLLECTION, SIGNALS_COLLECTION } from '../../server/store/mongo/models.js';
import { MongoStore } from '../../server/store/mongo/mongo-store.js';
import { api, join, newRoom, newUser, post, startApp, stream, type TestApp } from '../helpers/app.js';
import type { UploadBody } from '../helpers/bodies.js';
import { configure, failCommand, memberUri, members, namedFailPoint, uriWithParams } from './failpoints.js';
import { dropDatabase, freshDbName, MONGODB_URI, openStore, SKIP_REASON, withConnection } from './support.js';

/**
 * The findings of the MongoDB review (docs: ../shared/reviews/mongo-review-2026-12.md, issue 14) that only a real
 * replica set can show, one test each, numbered as in the review. The behaviour every store shares is tested on
 * SQLite too (the contract suite, test/realtime/resync.test.ts); the driver-free parts in test/store/mongo-*.test.ts.
 */
if (!MONGODB_URI) {
  t.test('MongoDB review findings', { skip: SKIP_REASON }, async () => {});
} else {
  t.setTimeout(240_000);
  const uri = MONGODB_URI;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  t.test('MongoDB review findings', async (t) => {
    const dbName = freshDbName('parley_review');
    const env = { MONGODB_URI: uri, JWT_SECRET: randomBytes(32).toString('base64url') };
    const store: MongoStore = await openStore(uriWithParams(uri, { appName: 'parleyA' }), dbName);
    const a: TestApp = await startApp({ store, env });
    t.teardown(async () => {
      await configure(uri, failCommand('off')).catch(() => {});
      await a.close();
      await store.close();
      await dropDatabase(uri, dbName);
    });
    const alice = await newUser(a.url);
    const bob = await newUser(a.url);
    const db = <T>(fn: (d: mongo.Db) => Promise<T>) =>
      withConnection(uri, (conn) => fn(conn.useDb(dbName, { useCache: false }).db!));

    await t.test('1: GET /log?before=1 answers no events, however long the log', async (t) => {
      const room = await newRoom(a.url, alice, { name: 'long' });
      for (let i = 0; i < 100; i++) await post(a.url, alice, room.id, `m${i}`);
      const res = await api(a.url, 'GET', `/api/rooms/${room.id}/log?before=1`, { token: alice.token });
      t.equal(res.status, 200);
      t.same(res.body.events, [], 'nothing before seq 1');
      t.same(await store.eventsAfter(room.id, 0, 0), [], 'eventsAfter with limit 0 is empty (not limit(0))');
    });

    await t.test('2: a write not yet on a majority is in no history page, head or new stream', async (t) => {
      const room = await newRoom(a.url, alice, { name: 'majority' });
      await post(a.url, alice, room.id, 'replicated');
      const head = (await api(a.url, 'GET', `/api/rooms/${room.id}`, { token: alice.token })).body.room.lastSeq;
      const { secondaries } = await members(uri);
      const stopRepl = (mode: 'alwaysOn' | 'off') =>
        Promise.all(secondaries.map((m) => configure(memberUri(uri, m), namedFailPoint('stopReplProducer', mode))));
      await stopRepl('alwaysOn');
      t.teardown(() => stopRepl('off').then(() => {}));
      // Commits on the primary alone, then waits for a majority that cannot come (it fails after timeoutMS).
      const pending = api(a.url, 'POST', `/api/rooms/${room.id}/messages`, {
        token: alice.token,
        body: { text: 'not on a majority', clientId: 'pending-1' },
      });
      let local = 0;
      for (let i = 0; i < 50 && local === 0; i++) {
        await sleep(100);
        local = await db((d) =>
          d.collection(EVENTS_COLLECTION).countDocuments({ roomId: room.id, seq: head + 1 }, { readConcern: 'local' }),
        );
      }
      t.equal(local, 1, 'the primary has it (read concern local): the window is real');
      const seen = (await api(a.url, 'GET', `/api/rooms/${room.id}`, { token: alice.token })).body.room.lastSeq;
      t.equal(seen, head, 'the room head does not include it');
      const page = await api(a.url, 'GET', `/api/rooms/${room.id}/messages`, { token: alice.token });
      const texts = (page.body.messages as Array<{ text: string }>).map((m) => m.text);
      t.notOk(texts.includes('not on a majority'), 'no history page shows it');
      const s = await stream(a.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: String(head) });
      await sleep(1000);
      s.close();
      t.same(s.stored(), [], 'a new stream does not replay it');
      await stopRepl('off');
      const res = await pending;
      t.comment(`the pending POST answered ${res.status}`);
      const retry = await api(a.url, 'POST', `/api/rooms/${room.id}/messages`, {
        token: alice.token,
        body: { text: 'not on a majority', clientId: 'pending-1' },
      });
      t.ok(retry.status === 200 || retry.status === 201, 'a retry with its clientId stores it once');
      t.equal(retry.body.message.seq, head + 1, 'at the seq it was given');
    });

    await t.test('4: a heartbeat racing new streams writes only what changed', async (t) => {
      // Heartbeats every second (PRESENCE_TTL_MS 3000), 40 streams open, then 10 more opened one by one across
      // several heartbeats. Each heartbeat is one updateMany; each new stream one upsert. Rewriting every document
      // whenever a heartbeat raced a new stream (the finding) would cost 40 updates or more per heartbeat, 200 or
      // more here; what is allowed leaves room for the receipts the new streams write.
      const fast = await MongoStore.connect(uriWithParams(uri, { appName: 'parleyP' }), {
        dbName,
        presenceTtlMs: 3000,
      });
      const p = await startApp({ store: fast, env });
      t.teardown(async () => {
        await p.close();
        await fast.close();
      });
      const room = await newRoom(p.url, alice, { name: 'presence' });
      const users = [];
      for (let i = 0; i < 25; i++) {
        const u = await newUser(p.url);
        await join(p.url, u, room.id);
        users.push(u);
      }
      const open = (u: { token: string }) => stream(p.url, `/api/rooms/${room.id}/events`, { token: u.token });
      const streams = await Promise.all(users.slice(0, 20).flatMap((u) => [open(u), open(u)]));
      t.teardown(() => streams.forEach((s) => s.close()));
      await sleep(2500);
      const updates = () =>
        withConnection(uri, async (conn) => {
          const status = await conn.db!.admin().command({ serverStatus: 1 });
          return Number(status.opcounters.update);
        });
      const before = await updates();
      for (const u of users.slice(20)) {
        streams.push(await open(u), await open(u));
        await sleep(300);
      }
      await sleep(2500);
      const spent = (await updates()) - before;
      t.ok(spent < 80, `${spent} updates for 10 new streams over about five heartbeats (not one per document)`);
    });

    await t.test('5: a blob delete that fails still answers 200, and the janitor finishes it', async (t) => {
      const room = await newRoom(a.url, alice, { name: 'images' });
      const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#48a' } })
        .png()
        .toBuffer();
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
      const up = await fetch(`${a.url}/api/rooms/${room.id}/uploads`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      t.equal(up.status, 201, 'uploaded');
      const id = ((await up.json()) as UploadBody).upload.id;
      const sent = await api(a.url, 'POST', `/api/rooms/${room.id}/messages`, {
        token: alice.token,
        body: { text: 'with an image', attachments: [id] },
      });
      t.equal(sent.status, 201);
      const files = () =>
        db((d) => d.collection('uploads.files').countDocuments({ filename: { $in: [id, `${id}.thumb`] } }));
      t.equal(await files(), 2, 'the image and its thumbnail are in GridFS');
      await configure(
        uri,
        failCommand(
          { times: 1 },
          { failCommands: ['delete'], namespace: `${dbName}.uploads.chunks`, errorCode: 91, errorLabels: [] },
        ),
      );
      const del = await api(a.url, 'DELETE', `/api/rooms/${room.id}/messages/${sent.body.message.seq}`, {
        token: alice.token,
      });
      t.equal(del.status, 200, 'the DELETE answers 200 although a blob delete failed');
      await store.blobs.sweep();
      t.equal(await files(), 0, 'after a janitor pass no files document is left');
      const orphans = await db(async (d) => {
        const ids = await d.collection('uploads.files').distinct('_id');
        return d.collection('uploads.chunks').countDocuments({ files_id: { $nin: ids } });
      });
      t.equal(orphans, 0, 'and no chunk without its files document');
      t.equal(await db((d) => d.collection('blob_deletions').countDocuments({})), 0, 'the deletion queue is empty');
    });

    await t.test("6: the poster's receipts no longer abort their posts", async (t) => {
      const room = await newRoom(a.url, alice, { name: 'receipts' });
      await join(a.url, bob, room.id);
      // Both stream the room, so every post is delivered to each and their receipts are written every 250 ms, to the
      // same membership documents that the append transaction used to write.
      const streams = await Promise.all(
        [alice, bob].map((u) => stream(a.url, `/api/rooms/${room.id}/events`, { token: u.token })),
      );
      t.teardown(() => streams.forEach((s) => s.close()));
      const aborted = async () =>
        withConnection(uri, async (conn) => {
          const status = await conn.db!.admin().command({ serverStatus: 1 });
          return Number(status.transactions?.totalAborted ?? 0);
        });
      const before = await aborted();
      for (let i = 0; i < 40; i++) {
        await post(a.url, i % 2 ? alice : bob, room.id, `r${i}`);
        await sleep(50);
      }
      t.equal((await aborted()) - before, 0, 'no transaction aborted (one writer at a time, receipts flowing)');
      const me = await api(a.url, 'GET', `/api/rooms/${room.id}`, { token: alice.token });
      t.equal(me.body.membership.readSeq, me.body.room.lastSeq, "the last poster's read watermark is at their post");
    });

    await t.test('7: readPreference=secondaryPreferred in the URI still reads the primary', async (t) => {
      const lagging = await openStore(uriWithParams(uri, { readPreference: 'secondaryPreferred' }), dbName);
      const c = await startApp({ store: lagging, env });
      t.teardown(async () => {
        await c.close();
        await lagging.close();
      });
      const { secondaries } = await members(uri);
      const stopped = memberUri(uri, secondaries[0]!);
      await configure(stopped, namedFailPoint('rsSyncApplyStop', 'alwaysOn'));
      t.teardown(() => configure(stopped, namedFailPoint('rsSyncApplyStop', 'off')).then(() => {}));
      const room = await newRoom(c.url, alice, { name: 'lagging' });
      for (let i = 0; i < 10; i++) {
        const msg = await post(c.url, alice, room.id, `m${i}`);
        const got = await api(c.url, 'GET', `/api/rooms/${room.id}`, { token: alice.token });
        t.equal(got.body.room.lastSeq, msg.seq, `head after post ${i} is its seq`);
        const s = await stream(c.url, `/api/rooms/${room.id}/events`, {
          token: alice.token,
          lastEventId: String(msg.seq),
        });
        await sleep(100);
        s.close();
        t.same(
          s.events.filter((e) => e.event === 'reset'),
          [],
          `resuming from the latest seq is no reset`,
        );
      }
    });

    await t.test('8: dropped collections come back with their unique and TTL indexes', async (t) => {
      await post(a.url, alice, (await newRoom(a.url, alice, { name: 'before the drop' })).id, 'x');
      await db((d) => d.collection(EVENTS_COLLECTION).drop());
      await db((d) =>
        d
          .collection(SIGNALS_COLLECTION)
          .drop()
          .catch(() => false),
      );
      const indexes = async (name: string) => db((d) => d.collection(name).indexes()).catch((): mongo.Document[] => []);
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        await sleep(200);
        const events = await indexes(EVENTS_COLLECTION);
        const signals = await indexes(SIGNALS_COLLECTION);
        ok =
          events.some((x) => JSON.stringify(x.key) === '{"roomId":1,"seq":1}' && x.unique) &&
          signals.some((x) => 'expireAfterSeconds' in x);
      }
      t.ok(ok, "the log's unique (roomId, seq) index and the signals' TTL index are back");
      const dms = await Promise.all([
        api(a.url, 'POST', '/api/dms', { token: alice.token, body: { username: bob.username } }),
        api(a.url, 'POST', '/api/dms', { token: bob.token, body: { username: alice.username } }),
      ]);
      t.equal(dms[0].body.room.id, dms[1].body.room.id, 'a racing pair of direct rooms is still one room');
    });

    await t.test('10: a profile change reaches every room once, or none when it fails', async (t) => {
      const rooms: Array<{ id: string }> = [];
      for (let i = 0; i < 5; i++) rooms.push(await newRoom(a.url, bob, { name: `profile ${i}` }));
      for (const r of rooms) await join(a.url, alice, r.id);
      const count = async () => {
        const n: number[] = [];
        for (const r of rooms) {
          const log = await store.eventsAfter(r.id, 0, 1000);
          n.push(log.filter((e) => e.type === 'member.updated').length);
        }
        return n;
      };
      // The announcement's first append fails with a non-transient error (BadValue, unlabelled): no retry.
      await configure(
        uri,
        failCommand(
          { times: 1 },
          {
            failCommands: ['findAndModify'],
            namespace: `${dbName}.rooms`,
            appName: 'parleyA',
            errorCode: 2,
            errorLabels: [],
          },
        ),
      );
      const first = await api(a.url, 'PATCH', '/api/me', { token: alice.token, body: { displayName: 'Alice A' } });
      const after = await count();
      if (first.status === 200) t.same(after, [1, 1, 1, 1, 1], 'it succeeded: every room got one member.updated');
      else {
        t.ok(first.status >= 500, `it failed (${first.status})`);
        t.same(after, [0, 0, 0, 0, 0], 'and no room got one');
        const retry = await api(a.url, 'PATCH', '/api/me', { token: alice.token, body: { displayName: 'Alice A' } });
        t.equal(retry.status, 200, 'a retry succeeds');
        t.same(await count(), [1, 1, 1, 1, 1], 'and every room got exactly one');
      }
    });
  });
}
