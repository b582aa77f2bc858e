import { z } from 'zod';
import type { RoomDirectoryPage } from '../store/store.js';

/** Where a page of the public room directory ended: opaque to clients (base64url JSON of the last room's key). */
export function encodeDirectoryCursor(room: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([room.createdAt, room.id])).toString('base64url');
}

const Key = z.tuple([z.iso.datetime(), z.string().min(1).max(64)]);

/** The position a cursor names, or null when it is not one this server issued. */
export function decodeDirectoryCursor(cursor: string): RoomDirectoryPage['after'] | null {
  try {
    const parsed = Key.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { createdAt: parsed.data[0], id: parsed.data[1] } : null;
  } catch {
    return null;
  }
}
