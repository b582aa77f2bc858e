import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { aloneInARoom, api, newRoom, newUser, serve, type TestUser } from './helpers/app.js';
import type { ErrorBody, MessageBody, RoomBody, UploadBody } from './helpers/bodies.js';

async function upload<T = UploadBody>(
  base: string,
  user: TestUser,
  roomId: string,
  data: Buffer,
  filename: string,
  type = 'application/octet-stream',
): Promise<{ status: number; body: T }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(data)], { type }), filename);
  const res = await fetch(`${base}/api/rooms/${roomId}/uploads`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${user.token}` },
  });
  return { status: res.status, body: (await res.json()) as T };
}

const solid = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#48a' } });

/** Every file under the uploads directory (blobs), recursively. */
function blobFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'uploads');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
}

t.test('accepted types are judged by their bytes; metadata is stripped; thumbnails made', async (t) => {
  const { srv, a: u, room } = await aloneInARoom(t);
  const images: Array<[string, Buffer, string]> = [
    ['image/png', await solid(40, 30).png().toBuffer(), 'a.png'],
    ['image/jpeg', await solid(40, 30).jpeg().toBuffer(), 'a.jpg'],
    ['image/gif', await solid(40, 30).gif().toBuffer(), 'a.gif'],
    ['image/webp', await solid(40, 30).webp().toBuffer(), 'a.webp'],
    ['image/png', await solid(40, 30).png().toBuffer(), 'renamed.jpg'],
  ];
  for (const [type, data, name] of images) {
    const res = await upload(srv.url, u, room.id, data, name, 'image/jpeg');
    t.equal(res.status, 201, `${name} accepted`);
    t.equal(res.body.upload.mediaType, type, `${name} is ${type} by its content, whatever its name or declared type`);
    t.same([res.body.upload.width, res.body.upload.height], [40, 30]);
    const full = await fetch(`${srv.url}/api/uploads/${res.body.upload.id}`, {
      headers: { authorization: `Bearer ${u.token}` },
    });
    t.equal(full.headers.get('content-type'), type);
    t.equal(full.headers.get('x-content-type-options'), 'nosniff');
    t.match(full.headers.get('content-security-policy'), /default-src 'none'/);
    t.match(full.headers.get('cache-control'), /max-age=31536000/);
    const thumb = await fetch(`${srv.url}/api/uploads/${res.body.upload.id}/thumbnail`, {
      headers: { authorization: `Bearer ${u.token}` },
    });
    t.equal(thumb.headers.get('content-type'), 'image/webp');
    t.equal((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).format, 'webp');
  }

  const withExif = await solid(60, 40)
    .jpeg()
    .withMetadata({ exif: { IFD0: { Copyright: 'Top Secret Studio', Artist: 'GPS 48.8584N 2.2945E' } } })
    .toBuffer();
  t.ok(withExif.includes('Top Secret Studio'), 'the test image carries EXIF');
  const up = await upload(srv.url, u, room.id, withExif, 'exif.jpg', 'image/jpeg');
  const served = Buffer.from(
    await (
      await fetch(`${srv.url}/api/uploads/${up.body.upload.id}`, { headers: { authorization: `Bearer ${u.token}` } })
    ).arrayBuffer(),
  );
  t.notOk(served.includes('Top Secret Studio'), 'EXIF removed');
  t.notOk(served.includes('GPS 48.8584N'), 'GPS text removed');
  t.equal((await sharp(served).metadata()).exif, undefined, 'no EXIF block at all');
});

t.test(
  'refused: other types, disguised files, oversize, truncated, decompression bombs; nothing partial remains',
  async (t) => {
    const {
      srv,
      a: u,
      room,
    } = await aloneInARoom(t, { env: { UPLOAD_MAX_BYTES: '200000', UPLOAD_MAX_PIXELS: '4000000' } });
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
    );
    const cases: Array<[string, Buffer, string, number]> = [
      ['svg', svg, 'a.svg', 415],
      ['svg named .png', svg, 'a.png', 415],
      ['html named .png', Buffer.from('<!doctype html><script>alert(1)</script>'), 'a.png', 415],
      ['pdf', Buffer.from('%PDF-1.4\n%\xe2\xe3'), 'a.png', 415],
      ['tiff', await solid(10, 10).tiff().toBuffer(), 'a.png', 415],
      ['oversize', Buffer.concat([await solid(10, 10).png().toBuffer(), Buffer.alloc(300_000, 1)]), 'big.png', 413],
      ['truncated', (await solid(300, 200).png({ compressionLevel: 0 }).toBuffer()).subarray(0, 5000), 'cut.png', 422],
      ['bomb', await solid(5000, 5000).png({ compressionLevel: 9 }).toBuffer(), 'bomb.png', 413],
      ['empty', Buffer.alloc(0), 'empty.png', 400],
    ];
    for (const [name, data, filename, status] of cases) {
      const res = await upload<ErrorBody>(srv.url, u, room.id, data, filename, 'image/png');
      t.equal(res.status, status, `${name} -> ${status}`);
      t.type(res.body.error?.code, 'string');
    }
    const oversize = await upload<ErrorBody>(
      srv.url,
      u,
      room.id,
      cases.find((c) => c[0] === 'oversize')![1],
      'big.png',
    );
    t.same(oversize.body.error.details, { maxBytes: 200000 }, 'the limit is given as a number');
    const bomb = cases.find((c) => c[0] === 'bomb')![1];
    t.ok(bomb.length < 200_000, `the bomb is small on the wire (${bomb.length} bytes) and large in pixels`);
    const json = await api(srv.url, 'POST', `/api/rooms/${room.id}/uploads`, { token: u.token, body: { file: 'x' } });
    t.equal(json.status, 415, 'JSON instead of multipart');
    t.same(blobFiles(srv.dataDir), [], 'no file was left behind by any refused upload');
  },
);

t.test("who sees what: members only; unused uploads are their uploader's; attachments are checked", async (t) => {
  const srv = await serve(t);
  const a = await newUser(srv.url);
  const b = await newUser(srv.url);
  const outsider = await newUser(srv.url);
  const room = await newRoom(srv.url, a, { kind: 'private' });
  await api(srv.url, 'POST', `/api/rooms/${room.id}/members`, { token: a.token, body: { username: b.username } });
  const png = await solid(20, 20).png().toBuffer();
  const up = (await upload(srv.url, a, room.id, png, 'p.png')).body.upload;
  const get = (user: TestUser, id = up.id) =>
    fetch(`${srv.url}/api/uploads/${id}`, { headers: { authorization: `Bearer ${user.token}` } }).then((r) => r.status);
  t.equal(await get(a), 200);
  t.equal(await get(b), 404, 'not yet shared: only the uploader sees it');
  t.equal(
    (await upload(srv.url, outsider, room.id, png, 'p.png')).status,
    404,
    'a non-member cannot upload to a private room',
  );

  const stolen = await api<ErrorBody>(srv.url, 'POST', `/api/rooms/${room.id}/messages`, {
    token: b.token,
    body: { text: 'mine now', attachments: [up.id] },
  });
  t.equal(stolen.status, 400, "someone else's upload cannot be attached");
  t.equal(stolen.body.error.code, 'INVALID_ATTACHMENT');
  const before = (await api<RoomBody>(srv.url, 'GET', `/api/rooms/${room.id}`, { token: a.token })).body.room.lastSeq;
  t.equal(
    (await api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, { token: a.token, body: {} })).status,
    400,
    'text or attachment needed',
  );

  const sent = await api<MessageBody>(srv.url, 'POST', `/api/rooms/${room.id}/messages`, {
    token: a.token,
    body: { attachments: [up.id] },
  });
  t.equal(sent.status, 201);
  t.same(sent.body.message.attachments, [up]);
  t.equal(sent.body.message.seq, before + 1, 'the refused posts wrote nothing');
  t.equal(await get(b), 200, 'shared: members see it');
  t.equal(await get(outsider), 404, 'a non-member cannot fetch the image');
  t.equal(
    (await api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, { token: a.token, body: { attachments: [up.id] } }))
      .status,
    400,
    'an upload is used once',
  );

  t.equal(
    (await api(srv.url, 'DELETE', `/api/rooms/${room.id}/messages/${sent.body.message.seq}`, { token: a.token }))
      .status,
    204,
  );
  t.equal(await get(a), 404, 'deleting the message deletes its image');
  t.notOk(
    blobFiles(srv.dataDir).some((f) => f.startsWith(up.id)),
    'and its files',
  );
});

t.test('retention: unused uploads are removed after UPLOAD_RETENTION; used ones stay', async (t) => {
  const { srv, a: u, room } = await aloneInARoom(t, { env: { UPLOAD_RETENTION: '1s' } });
  const png = await solid(20, 20).png().toBuffer();
  const unused = (await upload(srv.url, u, room.id, png, 'a.png')).body.upload;
  const used = (await upload(srv.url, u, room.id, png, 'b.png')).body.upload;
  await api(srv.url, 'POST', `/api/rooms/${room.id}/messages`, {
    token: u.token,
    body: { text: 'pic', attachments: [used.id] },
  });
  t.equal(await srv.app.uploadJanitor.sweep(), 0, 'nothing is old enough yet');
  t.equal(await srv.app.uploadJanitor.sweep(Date.now() + 1500), 1, 'past the retention, the unused one goes');
  const status = (id: string) =>
    fetch(`${srv.url}/api/uploads/${id}`, { headers: { authorization: `Bearer ${u.token}` } }).then((r) => r.status);
  t.equal(await status(unused.id), 404);
  t.equal(await status(used.id), 200);
  t.same(blobFiles(srv.dataDir).sort(), [used.id, `${used.id}.thumb`].sort(), "only the used image's files remain");
});
