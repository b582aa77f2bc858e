import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { SqliteStore } from '../server/store/sqlite/sqlite-store.js';
import type { Store } from '../server/store/store.js';
import { api, newRoom, newUser, startApp, tempDir, type TestUser } from './helpers/app.js';

/** What one user's uploads may cost the server: image work at once, pixels (memory), and unused bytes on disk. */

/** What the upload route answers: the upload, or the error envelope. */
interface UploadAnswer {
  upload: { id: string };
  error: { code: string; message: string; details: { quotaBytes: number; usedBytes: number } };
}

async function upload(base: string, user: TestUser, roomId: string, data: Buffer, filename = 'image') {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(data)], { type: 'application/octet-stream' }), filename);
  const res = await fetch(`${base}/api/rooms/${roomId}/uploads`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${user.token}` },
  });
  return { status: res.status, body: (await res.json()) as UploadAnswer, headers: res.headers };
}

const solid = (w: number, h: number, background = '#48a') =>
  sharp({ create: { width: w, height: h, channels: 3, background } });

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('image work is bounded: uploads wait for a free slot; a full queue answers 503 IMAGES_BUSY', async (t) => {
  const srv = await startApp({ env: { UPLOAD_CONCURRENCY: '1', UPLOAD_QUEUE: '1' } });
  t.teardown(() => srv.close());
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);
  const png = await solid(40, 30).png().toBuffer();
  const work = srv.app.imageWork;

  // The one slot is taken, as a long image job would take it.
  const release = await work.enter()!;
  const waiting = upload(srv.url, u, room.id, png, 'a.png');
  await until('the upload to queue', () => work.queued === 1);
  const refused = await upload(srv.url, u, room.id, png, 'b.png');
  t.equal(refused.status, 503, 'the queue is full');
  t.equal(refused.body.error.code, 'IMAGES_BUSY');
  t.ok(Number(refused.headers.get('retry-after')) > 0, 'with Retry-After');
  t.equal(work.running, 1, 'the queued upload did not start');

  release();
  const done = await waiting;
  t.equal(done.status, 201, 'the queued upload runs once the slot is free');
  t.equal(work.running, 0);
  t.equal(work.queued, 0);
  t.equal((await upload(srv.url, u, room.id, png, 'c.png')).status, 201, 'and uploads go through again');
});

t.test('the pixel limit bounds memory: frames count, and deeper samples count as more pixels', async (t) => {
  const srv = await startApp({ env: { UPLOAD_MAX_PIXELS: '1500000' } });
  t.teardown(() => srv.close());
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);

  const grey = { width: 1000, height: 1000, channels: 4 as const, background: '#808080' };
  const rgba8 = await sharp({ create: grey }).png().toBuffer();
  const rgba16 = await sharp(rgba8).toColourspace('rgb16').png().toBuffer();
  t.equal((await sharp(rgba16).metadata()).depth, 'ushort', 'the fixture has 16-bit samples');
  t.equal((await upload(srv.url, u, room.id, rgba8, 'a.png')).status, 201, '1 Mpx of 8-bit RGBA fits 1.5 Mpx');
  const deep = await upload(srv.url, u, room.id, rgba16, 'b.png');
  t.equal(deep.status, 413, '1 Mpx of 16-bit RGBA decodes to twice the bytes: refused');
  t.equal(deep.body.error.code, 'IMAGE_TOO_LARGE');

  const frames = await Promise.all(['#f00', '#0f0'].map((c) => solid(1000, 1000, c).png().toBuffer()));
  const animated = await sharp(frames, { join: { animated: true } })
    .gif()
    .toBuffer();
  t.equal((await sharp(animated, { animated: true }).metadata()).pages, 2);
  const gif = await upload(srv.url, u, room.id, animated, 'c.gif');
  t.equal(gif.status, 413, 'two frames of 1 Mpx are 2 Mpx');
  t.equal(gif.body.error.code, 'IMAGE_TOO_LARGE');
});

t.test('by default a 1.9 KB WebP of 7000x7000 is refused before it is decoded', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);
  const webp = readFileSync(path.join(import.meta.dirname, 'fixtures', 'webp-7000x7000.webp'));
  t.ok(webp.length < 2500, `small on the wire (${webp.length} bytes)`);
  const res = await upload(srv.url, u, room.id, webp, 'big.webp');
  t.equal(res.status, 413);
  t.equal(res.body.error.code, 'IMAGE_TOO_LARGE');
});

t.test('per-user quota of unused uploads: 413 UPLOAD_QUOTA_EXCEEDED; attaching frees it; per user', async (t) => {
  // Every upload counts at least 16 KiB, so a 40 KiB quota holds two small ones.
  const srv = await startApp({ env: { UPLOAD_QUOTA_BYTES: String(40 * 1024) } });
  t.teardown(() => srv.close());
  const [alice, bob] = [await newUser(srv.url), await newUser(srv.url)];
  const room = await newRoom(srv.url, alice);
  t.equal((await api(srv.url, 'POST', `/api/rooms/${room.id}/join`, { token: bob.token })).status, 201);
  const png = await solid(40, 30).png().toBuffer();

  const first = await upload(srv.url, alice, room.id, png, 'a.png');
  const second = await upload(srv.url, alice, room.id, png, 'b.png');
  t.equal(first.status, 201);
  t.equal(second.status, 201);
  const refused = await upload(srv.url, alice, room.id, png, 'c.png');
  t.equal(refused.status, 413, 'a third unused upload is over the quota');
  t.equal(refused.body.error.code, 'UPLOAD_QUOTA_EXCEEDED');
  t.equal(refused.body.error.details.quotaBytes, 40 * 1024);
  t.ok(refused.body.error.details.usedBytes > 0);

  t.equal((await upload(srv.url, bob, room.id, png, 'd.png')).status, 201, 'another user has a quota of their own');

  const posted = await api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, {
    token: alice.token,
    body: { text: 'look', attachments: [first.body.upload.id] },
  });
  t.equal(posted.status, 201);
  t.equal((await upload(srv.url, alice, room.id, png, 'e.png')).status, 201, 'an attached upload no longer counts');
});

t.test('a store failure while serving an image is an error, not "no such image"', async (t) => {
  const dataDir = tempDir();
  const inner = new SqliteStore({ file: path.join(dataDir, 'parley.db'), synchronous: 'NORMAL' });
  let broken = false;
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'getMembership' && broken) return async () => Promise.reject(new Error('the disk is on fire'));
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Store;
  const srv = await startApp({ store, dataDir });
  t.teardown(async () => {
    await srv.close();
    await inner.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);
  const up = await upload(srv.url, u, room.id, await solid(40, 30).png().toBuffer(), 'a.png');
  t.equal(up.status, 201);
  const headers = { authorization: `Bearer ${u.token}` };
  const get = () => fetch(`${srv.url}/api/uploads/${up.body.upload.id}`, { headers });
  t.equal((await get()).status, 200);
  broken = true;
  const failed = await get();
  t.equal(failed.status, 500, 'the failure is not hidden as a 404');
  t.equal(((await failed.json()) as UploadAnswer).error.code, 'INTERNAL');
});
