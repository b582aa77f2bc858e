import type { FilterQuery } from 'mongoose';
import { words } from '../../search/tokens.js';
import { storeErrors } from '../errors.js';
import type { MessageSearch } from '../store.js';
import type { MessageDoc, Models } from './models.js';

/** The search fields of a message with this text (a deleted message has none). */
export function searchFields(text: string | null): Pick<MessageDoc, 'searchWords' | 'searchText'> {
  if (text === null) return { searchWords: [], searchText: null };
  const all = words(text);
  return { searchWords: [...new Set(all)], searchText: all.join(' ') };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The filter for a search: the user's live rooms, the terms (each word through the searchWords index, a prefix as
 * an anchored regex on it, a phrase's adjacency checked on searchText), the operators and the cursor.
 */
export async function searchFilter(m: Models, userId: string, search: MessageSearch): Promise<FilterQuery<MessageDoc>> {
  const memberships = await m.memberships.find({ userId }, { roomId: 1 }).lean<Array<{ roomId: string }>>().exec();
  let roomIds = memberships.map((x) => x.roomId);
  if (search.roomIds) {
    const wanted = new Set(search.roomIds);
    roomIds = roomIds.filter((id) => wanted.has(id));
  }
  const live = await m.rooms
    .find({ _id: { $in: roomIds }, deletedAt: null }, { _id: 1 })
    .lean<Array<{ _id: string }>>()
    .exec();
  const and: FilterQuery<MessageDoc>[] = [{ roomId: { $in: live.map((r) => r._id) }, deletedAt: null }];
  for (const term of search.terms) {
    const exact = term.prefix ? term.tokens.slice(0, -1) : term.tokens;
    if (exact.length > 0) and.push({ searchWords: { $all: exact } });
    if (term.prefix) and.push({ searchWords: { $regex: `^${escape(term.tokens[term.tokens.length - 1]!)}` } });
    if (term.tokens.length > 1) {
      const phrase = term.tokens.map(escape).join(' ');
      and.push({ searchText: { $regex: `(?:^| )${phrase}${term.prefix ? '' : '(?: |$)'}` } });
    }
  }
  if (search.authorIds) and.push({ authorId: { $in: search.authorIds } });
  if (search.before !== undefined) and.push({ createdAt: { $lt: new Date(search.before) } });
  if (search.after !== undefined) and.push({ createdAt: { $gte: new Date(search.after) } });
  if (search.cursor) {
    const { roomId, seq } = search.cursor;
    const at = await m.messages.findOne({ roomId, seq }, { createdAt: 1 }).lean<Pick<MessageDoc, 'createdAt'>>().exec();
    if (!at) throw storeErrors.badSearchCursor();
    // Strictly after the cursor in the sort order (createdAt, roomId, seq), all descending.
    const t = at.createdAt;
    and.push({
      $or: [
        { createdAt: { $lt: t } },
        { createdAt: t, roomId: { $lt: roomId } },
        { createdAt: t, roomId, seq: { $lt: seq } },
      ],
    });
  }
  return { $and: and };
}

/** Messages stored before search existed get their search fields, in batches (idempotent; run at start). */
export async function indexEarlierMessages(m: Models): Promise<number> {
  let count = 0;
  for (;;) {
    const batch = await m.messages
      .find({ searchWords: { $exists: false } }, { _id: 1, text: 1, deletedAt: 1 })
      .limit(500)
      .lean<Array<{ _id: unknown; text: string | null; deletedAt: Date | null }>>()
      .exec();
    if (batch.length === 0) return count;
    await m.messages.bulkWrite(
      batch.map((d) => ({
        updateOne: {
          filter: { _id: d._id, searchWords: { $exists: false } },
          update: { $set: searchFields(d.deletedAt ? null : d.text) },
        },
      })),
    );
    count += batch.length;
  }
}
