import { z } from 'zod';
import type { MembersPage, RoomDirectoryPage } from '../store/store.js';

/**
 * Where a page of a list ended, as the next page's cursor: opaque to clients (base64url JSON of the last item's sort
 * key). A cursor this server did not issue decodes to null.
 */
function encode(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decode<T>(cursor: string, key: z.ZodType<T>): T | null {
  try {
    const parsed = key.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const DirectoryKey = z.tuple([z.iso.datetime(), z.string().min(1).max(64)]);
const MembersKey = z.tuple([z.enum(['owner', 'admin', 'member']), z.string().min(1).max(64)]);

/** The public room directory, newest first: the last room's creation time and id. */
export function encodeDirectoryCursor(room: { createdAt: string; id: string }): string {
  return encode([room.createdAt, room.id]);
}

export function decodeDirectoryCursor(cursor: string): RoomDirectoryPage['after'] | null {
  const key = decode(cursor, DirectoryKey);
  return key && { createdAt: key[0], id: key[1] };
}

/** A room's members by role, then username: the last member's role and username. */
export function encodeMembersCursor(member: { role: string; user: { username: string } }): string {
  return encode([member.role, member.user.username]);
}

export function decodeMembersCursor(cursor: string): MembersPage['after'] | null {
  const key = decode(cursor, MembersKey);
  return key && { role: key[0], username: key[1] };
}
