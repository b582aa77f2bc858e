import { z } from 'zod';
import type { MentionPage } from '../store/store.js';

/** Where a page of the mentions inbox ended: opaque to clients (base64url JSON of the last message's key). */
export function encodeMentionCursor(m: { createdAt: string; roomId: string; seq: number }): string {
  return Buffer.from(JSON.stringify([m.createdAt, m.roomId, m.seq])).toString('base64url');
}

const Key = z.tuple([z.iso.datetime(), z.string().min(1).max(64), z.number().int().min(1)]);

/** The position a cursor names, or null when it is not one this server issued. */
export function decodeMentionCursor(cursor: string): MentionPage['before'] | null {
  try {
    const parsed = Key.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { at: parsed.data[0], roomId: parsed.data[1], seq: parsed.data[2] } : null;
  } catch {
    return null;
  }
}
