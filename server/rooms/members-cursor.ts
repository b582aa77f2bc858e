import { z } from 'zod';
import type { MembersPage } from '../store/store.js';

/** Where a page of a room's members ended: opaque to clients (base64url JSON of the last member's role and name). */
export function encodeMembersCursor(member: { role: string; user: { username: string } }): string {
  return Buffer.from(JSON.stringify([member.role, member.user.username])).toString('base64url');
}

const Key = z.tuple([z.enum(['owner', 'admin', 'member']), z.string().min(1).max(64)]);

/** The position a cursor names, or null when it is not one this server issued. */
export function decodeMembersCursor(cursor: string): MembersPage['after'] | null {
  try {
    const parsed = Key.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { role: parsed.data[0], username: parsed.data[1] } : null;
  } catch {
    return null;
  }
}
