import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mongo } from 'mongoose';
import type { BlobStore } from '../store.js';

/** The GridFS bucket: collections uploads.files (one document per file) and uploads.chunks (its bytes). */
export const BLOB_BUCKET = 'uploads';

/** GridFSBucket.delete() throws this (a MongoRuntimeError, no code: NODE-3483) when no files document has the id. */
const isFileNotFound = (err: unknown) =>
  err instanceof mongo.MongoRuntimeError && err.message.startsWith('File not found');

/**
 * Upload bytes in GridFS, in the replica set itself, so every instance serves every file. The key is the GridFS
 * filename. A GridFS file becomes visible only when its files document is inserted, after all of its chunks, so a
 * reader never sees a partial file; what a failed upload can leave behind is chunks without a files document,
 * which put() deletes before it rethrows.
 */
export class GridFsBlobStore implements BlobStore {
  private readonly bucket: mongo.GridFSBucket;

  constructor(db: mongo.Db) {
    // Majority-acknowledged like every other write of the store: a stored file survives a failover.
    this.bucket = new mongo.GridFSBucket(db, { bucketName: BLOB_BUCKET, writeConcern: { w: 'majority' } });
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
      // last chunk or the files document); delete() by id removes the files document if it was written after all,
      // then the chunks, in every case.
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

  async delete(key: string): Promise<void> {
    const files = await this.bucket.find({ filename: key }, { projection: { _id: 1 } }).toArray();
    for (const file of files) await this.deleteFile(file._id);
  }

  /** Deletes the files document, then the chunks; a file someone else deleted meanwhile is fine. */
  private async deleteFile(id: mongo.ObjectId): Promise<void> {
    try {
      await this.bucket.delete(id);
    } catch (err) {
      if (!isFileNotFound(err)) throw err;
    }
  }
}
