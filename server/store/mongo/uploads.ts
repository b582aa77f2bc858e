import type { ClientSession } from 'mongoose';
import { thumbnailKey } from '../../uploads/blobs.js';
import type { Store, Upload } from '../store.js';
import { toUpload } from './mappers.js';
import { UNUSED, type Models, type UploadDoc } from './models.js';
import type { Transactor } from './transact.js';

type UploadMethods = 'createUpload' | 'getUpload' | 'removeUnusedUploads';

/**
 * Queues the blobs of uploads whose rows this transaction removes (see BlobDeletionDoc): they are deleted after the
 * commit (BlobStore.discard) or, if that fails or never happens, by the upload janitor's sweep.
 */
export async function queueBlobDeletions(m: Models, uploadIds: string[], session: ClientSession): Promise<void> {
  const queuedAt = new Date();
  const ops = uploadIds
    .flatMap((id) => [id, thumbnailKey(id)])
    .map((key) => ({ updateOne: { filter: { _id: key }, update: { $setOnInsert: { queuedAt } }, upsert: true } }));
  if (ops.length > 0) await m.blobDeletions.bulkWrite(ops, { session });
}

/** Upload metadata (the bytes are in GridFS, see gridfs-blobs.ts). A message claims its uploads in its transaction. */
export class MongoUploads implements Pick<Store, UploadMethods> {
  constructor(
    private readonly m: Models,
    private readonly tx: Transactor,
  ) {}

  async createUpload(upload: Omit<Upload, 'messageSeq' | 'createdAt'>): Promise<Upload> {
    const doc: UploadDoc = {
      _id: upload.id,
      ownerId: upload.ownerId,
      roomId: upload.roomId,
      mediaType: upload.mediaType,
      size: upload.size,
      width: upload.width,
      height: upload.height,
      messageSeq: null,
      createdAt: new Date(),
    };
    await this.m.uploads.create(doc);
    return toUpload(doc);
  }

  async getUpload(id: string): Promise<Upload | null> {
    const u = await this.m.uploads.findById(id).lean<UploadDoc>().exec();
    return u ? toUpload(u) : null;
  }

  async removeUnusedUploads(before: string): Promise<Upload[]> {
    const candidates = await this.m.uploads
      .find({ messageSeq: UNUSED, createdAt: { $lt: new Date(before) } }, { _id: 1 })
      .lean<Array<Pick<UploadDoc, '_id'>>>()
      .exec();
    // Each upload is removed with its blobs queued, in a transaction of its own that re-checks "unused": one a message
    // claimed since the find (a write conflict, then no match), or that another instance's sweep took, is skipped.
    const gone: Upload[] = [];
    for (const { _id } of candidates) {
      const removed = await this.tx.run(async (session) => {
        const unused = { _id, messageSeq: UNUSED };
        const u = await this.m.uploads.findOneAndDelete(unused, { session }).lean<UploadDoc>().exec();
        if (u) await queueBlobDeletions(this.m, [u._id], session);
        return u;
      });
      if (removed) gone.push(toUpload(removed));
    }
    return gone;
  }
}
