import type { Store } from '../store/store.js';

/** An upload's bytes are stored under its id, its thumbnail under this key. */
export function thumbnailKey(uploadId: string): string {
  return `${uploadId}.thumb`;
}

/** Deletes the bytes of uploads whose rows are gone (a deleted message's images, expired unused uploads). What
 * cannot be deleted now is left to the upload janitor's next sweep, so this does not fail for it. */
export async function removeBlobs(store: Store, uploadIds: string[]): Promise<void> {
  await store.blobs.discard(uploadIds.flatMap((id) => [id, thumbnailKey(id)]));
}
