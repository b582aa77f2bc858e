import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { api, newRoom, newUser, startApp } from './helpers/app.js';

/** Every file under the uploads directory (blobs), recursively. */
function blobFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'uploads');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

// Deleting a room must not leave its members' images on disk.
t.test('deleting a room deletes its images, shared and unused alike', async (t) => {
  const app = await startApp();
  t.teardown(() => app.close());
  const owner = await newUser(app.url);
  const room = await newRoom(app.url, owner);
  const other = await newRoom(app.url, owner, { name: 'keeps-its-image' });
  const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#48a' } })
    .png()
    .toBuffer();
  const upload = async (roomId: string) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'p.png');
    const res = await fetch(`${app.url}/api/rooms/${roomId}/uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    t.equal(res.status, 201);
    return ((await res.json()) as { upload: { id: string } }).upload.id;
  };
  const shared = await upload(room.id);
  const posted = await api(app.url, 'POST', `/api/rooms/${room.id}/messages`, {
    token: owner.token,
    body: { text: 'look', attachments: [shared] },
  });
  t.equal(posted.status, 201);
  await upload(room.id); // uploaded, never attached
  const kept = await upload(other.id);
  const before = blobFiles(app.dataDir);
  t.ok(
    before.some((f) => f.startsWith(kept)),
    'the other room has its image',
  );
  t.ok(
    before.some((f) => f.startsWith(shared)),
    'the room has its images on disk',
  );

  const del = await api(app.url, 'DELETE', `/api/rooms/${room.id}`, { token: owner.token });
  t.equal(del.status, 204);
  const after = blobFiles(app.dataDir);
  t.same(
    after.filter((f) => !f.startsWith(kept)),
    [],
    'no file of the deleted room is left (images and thumbnails)',
  );
  t.ok(
    after.some((f) => f.startsWith(kept)),
    "another room's image stays",
  );
  const gone = await fetch(`${app.url}/api/uploads/${shared}`, { headers: { authorization: `Bearer ${owner.token}` } });
  t.equal(gone.status, 404);
});
