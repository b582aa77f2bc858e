import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { FastifyBaseLogger } from 'fastify';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { FileBlobStore } from '../../server/store/sqlite/file-blobs.js';
import { thumbnailKey } from '../../server/uploads/blobs.js';
import { UploadJanitor } from '../../server/uploads/retention.js';
import { tempDir } from '../helpers/app.js';

/**
 * Blobs of removed uploads are discarded without failing the caller: what cannot be deleted now waits for the upload
 * janitor's next sweep. (GridFS, where this matters most, runs the same through the failover tests when MONGODB_URI
 * is set.) A delete is made to fail for real by putting a directory where the blob's file would be.
 */
const fileOf = (dir: string, key: string) => path.join(dir, key.slice(0, 2), key);

/** Makes the blob's path undeletable (a non-empty directory), or deletable again. */
function jam(dir: string, key: string): () => void {
  const file = fileOf(dir, key);
  rmSync(file, { force: true });
  mkdirSync(file, { recursive: true });
  writeFileSync(path.join(file, 'stuck'), 'x');
  return () => rmSync(file, { recursive: true, force: true });
}

t.test('discard deletes what it can and queues the rest for sweep', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const blobs = new FileBlobStore(dir);
  await blobs.put('aaaaaaaaaaaaaaaa', Buffer.from('one'));
  await blobs.put('bbbbbbbbbbbbbbbb', Buffer.from('two'));
  const unjam = jam(dir, 'bbbbbbbbbbbbbbbb');
  await blobs.discard(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'cccccccccccccccc']);
  t.pass('discard resolved although one delete failed');
  t.equal(await blobs.get('aaaaaaaaaaaaaaaa'), null, 'deleted at once');
  t.equal(await blobs.sweep(), 1, 'the undeletable one is still queued (the missing one was fine)');
  unjam();
  t.equal(await blobs.sweep(), 0, 'the next sweep deletes it');
  t.equal(await blobs.sweep(), 0, 'and the queue stays empty');
});

t.test('the upload janitor removes expired uploads and retries blobs it could not delete', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ file: path.join(dir, 'parley.db') });
  t.teardown(() => store.close());
  const warnings: unknown[] = [];
  const log = { info: () => {}, warn: (obj: unknown) => warnings.push(obj), error: () => {} };
  const janitor = new UploadJanitor(store, 60_000, log as unknown as FastifyBaseLogger);

  const owner = await store.createUser({
    username: 'janitor',
    email: 'janitor@example.com',
    passwordHash: 'x',
    displayName: 'J',
    gender: 'unspecified',
    avatar: null,
  });
  const { room } = await store.createRoom({ name: 'r', topic: '', kind: 'public', owner });
  const id = 'upupupupupupupup';
  await store.blobs.put(id, Buffer.from('image'));
  await store.blobs.put(thumbnailKey(id), Buffer.from('thumb'));
  const img = { mediaType: 'image/png', size: 5, width: 1, height: 1 };
  await store.createUpload({ id, ownerId: owner.id, roomId: room.id, ...img });
  const blobDir = path.join(dir, 'uploads');
  const unjam = jam(blobDir, thumbnailKey(id));

  const removed = await janitor.sweep(Date.now() + 3_600_000);
  t.equal(removed, 1, 'the expired upload is removed, although its thumbnail could not be deleted');
  t.notOk(existsSync(fileOf(blobDir, id)), 'its image is gone');
  t.equal(warnings.length, 1, 'the janitor says one file is still waiting');
  unjam();
  await janitor.sweep(Date.now() + 3_600_000);
  t.equal(await store.blobs.sweep(), 0, 'the next pass deleted it');
});
