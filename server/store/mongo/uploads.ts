import type { Store, Upload } from '../store.js';
import { toUpload } from './mappers.js';
import { UNUSED, type Models, type UploadDoc } from './models.js';

type UploadMethods = 'createUpload' | 'getUpload' | 'removeUnusedUploads';

/** Upload metadata (the bytes are in GridFS, see gridfs-blobs.ts). A message claims its uploads in its transaction. */
export class MongoUploads implements Pick<Store, UploadMethods> {
  constructor(private readonly m: Models) {}

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
    // No transaction: each upload is removed by its own atomic findOneAndDelete that re-checks "unused", so one a
    // message claimed since the find (or that another instance's sweep took) is skipped, never returned.
    const gone: Upload[] = [];
    for (const { _id } of candidates) {
      const u = await this.m.uploads.findOneAndDelete({ _id, messageSeq: UNUSED }).lean<UploadDoc>().exec();
      if (u) gone.push(toUpload(u));
    }
    return gone;
  }
}
