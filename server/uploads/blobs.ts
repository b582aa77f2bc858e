import type { Store } from '../store/store.js';

/** An upload's bytes are stored under its id, its thumbnail under this key. */
export function thumbnailKey(uploadId: string): string {
  return `${uploadId}.thumb`;
}

/** Deletes the bytes of uploads whose rows are gone (a deleted message's images, expired unused uploads). */
export async function removeBlobs(store: Store, uploadIds: string[]): Promise<void> {
  await Promise.all(uploadIds.flatMap((id) => [store.blobs.delete(id), store.blobs.delete(thumbnailKey(id))]));
}
