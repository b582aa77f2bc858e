import type { ClientSession } from 'mongoose';
import type { Message } from '../store.js';
import type { MessageDoc, Models } from './models.js';

/**
 * Every stored copy of a message (its message.created, .edited and .deleted events) takes the message's current
 * text and attachments, so the log and replays never serve deleted text or an edit's previous text. The events stay,
 * with their seqs. Runs inside the edit's or delete's transaction. Updates are not in the change stream's filter
 * (inserts only), so nothing is published twice.
 */
export async function redactCopies(m: Models, message: Message, session: ClientSession): Promise<void> {
  await m.events
    .updateMany(
      { roomId: message.roomId, 'payload.message.seq': message.seq },
      {
        $set: {
          'payload.message.text': message.text,
          'payload.message.attachments': message.attachments,
          'payload.message.editedAt': message.editedAt,
          'payload.message.deletedAt': message.deletedAt,
          // An edit changes whom the text mentions; a delete leaves none.
          'payload.message.mentions': message.mentions,
          'payload.message.mentionsRoom': message.mentionsRoom,
          'payload.message.mentionsHere': message.mentionsHere,
        },
      },
      { session },
    )
    .exec();
}

/**
 * Copies stored before redaction existed: once at start, every edited or deleted message's copies are brought to
 * its current state (idempotent; each message is one update on the events' message index).
 */
export async function redactEarlierCopies(m: Models): Promise<number> {
  let count = 0;
  const changed = m.messages
    .find({ $or: [{ deletedAt: { $ne: null } }, { editedAt: { $ne: null } }] })
    .lean<MessageDoc>()
    .cursor();
  for await (const doc of changed) {
    const res = await m.events
      .updateMany(
        { roomId: doc.roomId, 'payload.message.seq': doc.seq },
        {
          $set: {
            'payload.message.text': doc.text,
            'payload.message.attachments': doc.attachments,
            'payload.message.editedAt': doc.editedAt?.toISOString() ?? null,
            'payload.message.deletedAt': doc.deletedAt?.toISOString() ?? null,
          },
        },
      )
      .exec();
    count += res.modifiedCount;
  }
  return count;
}
