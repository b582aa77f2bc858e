import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mongo } from 'mongoose';
import type { BlobStore } from '../store.js';
import type { BlobDeletionDoc } from './models.js';

/** The GridFS bucket: collections uploads.files (one document per file) and uploads.chunks (its bytes). */
export const BLOB_BUCKET = 'uploads';

/** The bucket's two collections, with the indexes the driver would make on a first upload (prepareSchema makes
 * them at start-up, and again after a drop). */
export const BLOB_COLLECTIONS = {
  files: { name: `${BLOB_BUCKET}.files`, index: { filename: 1, uploadDate: 1 } },
  chunks: { name: `${BLOB_BUCKET}.chunks`, index: { files_id: 1, n: 1 }, unique: true },
} as const;

type FileDoc = { _id: mongo.ObjectId; filename: string };
type ChunkDoc = { _id: mongo.ObjectId; files_id: mongo.ObjectId; n: number };

/**
 * Upload bytes in GridFS, in the replica set itself, so every instance serves every file. The key is the GridFS
 * filename. A GridFS file becomes visible only when its files document is inserted, after all of its chunks, so a
 * reader never sees a partial file; what a failed upload can leave behind is chunks without a files document,
 * which put() deletes before it rethrows.
 *
 * Deleting is idempotent and can be resumed: a file's chunks go first, its files document last, so a delete cut
 * short (an election between the two writes: the chunks' deleteMany is not a retryable write) leaves the files
 * document, by which the next attempt finds the rest. Keys whose uploads are gone wait in `blob_deletions` until
 * their files are deleted: discard() deletes at once when it can, sweep() retries the rest.
 */
export class GridFsBlobStore implements BlobStore {
  private readonly bucket: mongo.GridFSBucket;
  private readonly files: mongo.Collection<FileDoc>;
  private readonly chunks: mongo.Collection<ChunkDoc>;

  constructor(
    db: mongo.Db,
    private readonly queue: mongo.Collection<BlobDeletionDoc>,
    private readonly report: (err: unknown, what: string) => void,
  ) {
    // Majority-acknowledged like every other write of the store: a stored file survives a failover.
    this.bucket = new mongo.GridFSBucket(db, { bucketName: BLOB_BUCKET, writeConcern: { w: 'majority' } });
    this.files = db.collection<FileDoc>(BLOB_COLLECTIONS.files.name);
    this.chunks = db.collection<ChunkDoc>(BLOB_COLLECTIONS.chunks.name);
  }

  async put(key: string, data: Buffer, contentType: string): Promise<void> {
    // contentType goes in `metadata` (the top-level contentType option is deprecated in the driver).
    const upload = this.bucket.openUploadStream(key, { metadata: { contentType } });
    // One chunk per write: pipeline waits for each write's callback (the chunk's insert) before the next, so when
    // one fails no other insert of this file is still in flight and the clean-up below removes every chunk. (One
    // write of the whole Buffer would insert all its chunks at once.)
    const slices: Buffer[] = [];
    const size = upload.chunkSizeBytes;
    for (let pos = 0; pos < data.length; pos += size) slices.push(data.subarray(pos, pos + size));
    try {
      await pipeline(Readable.from(slices), upload);
    } catch (err) {
      // abort() would delete the chunks too, but it refuses once the stream has ended (a failure while inserting the
      // last chunk or the files document); deleting by id removes the chunks and the files document if it was
      // written after all, in every case.
      await this.deleteFile(upload.id).catch(() => {});
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | null> {
    // By name: the newest file of that name (revision -1, the default); keys are fresh ids, so there is one.
    const parts: Buffer[] = [];
    try {
      for await (const part of this.bucket.openDownloadStreamByName(key)) parts.push(part as Buffer);
    } catch (err) {
      // The driver reports a missing file as an error with code 'ENOENT' ("FileNotFound: file <name> was not found").
      if ((err as { code?: unknown }).code === 'ENOENT') return null;
      throw err;
    }
    return Buffer.concat(parts);
  }

  /** Removes every file of that name; a missing key is fine. */
  async delete(key: string): Promise<void> {
    const files = await this.files.find({ filename: key }, { projection: { _id: 1 } }).toArray();
    for (const file of files) await this.deleteFile(file._id);
  }

  /** Chunks first, the files document last (see the class comment). Both writes match nothing the second time. */
  private async deleteFile(id: mongo.ObjectId): Promise<void> {
    await this.chunks.deleteMany({ files_id: id });
    await this.files.deleteOne({ _id: id });
  }

  /** Deletes the keys now where it can; a key it cannot delete stays queued for sweep(). Never rejects. */
  async discard(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.delete(key);
        await this.queue.deleteOne({ _id: key });
      } catch (err) {
        this.report(err, `deleting blob ${key} failed; the upload janitor retries it`);
        // Normally queued already (by the transaction that removed its upload); make sure of it if we can.
        await this.enqueue([key]).catch((e) => this.report(e, `queueing blob ${key} for deletion failed`));
      }
    }
  }

  /** Deletes the queued keys, oldest first, at most `batch` of them; resolves with how many are still queued. */
  async sweep(batch = 500): Promise<number> {
    const due = await this.queue.find({}, { sort: { queuedAt: 1 }, limit: batch, projection: { _id: 1 } }).toArray();
    for (const { _id: key } of due) {
      try {
        await this.delete(key);
        await this.queue.deleteOne({ _id: key });
      } catch (err) {
        this.report(err, `deleting blob ${key} failed; it stays queued`);
      }
    }
    return this.queue.countDocuments({});
  }

  private async enqueue(keys: string[]): Promise<void> {
    const queuedAt = new Date();
    const ops = keys.map((key) => ({
      updateOne: { filter: { _id: key }, update: { $setOnInsert: { queuedAt } }, upsert: true },
    }));
    if (ops.length > 0) await this.queue.bulkWrite(ops, { ordered: false });
  }
}
