import type { Message, PublicUser } from '../../web/src/types.js';

/** Messages for the client's pure-state tests: room r1, one second apart by seq, plain unless a test says more. */

export const at = (seq: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seq)).toISOString();

export function message(seq: number, author: PublicUser, text: string, clientId: string | null = null): Message {
  return {
    roomId: 'r1',
    seq,
    author,
    text,
    attachments: [],
    createdAt: at(seq),
    editedAt: null,
    deletedAt: null,
    clientId,
    replyTo: null,
    threadSeq: null,
    thread: null,
    mentions: [],
    mentionsRoom: false,
    mentionsHere: false,
  };
}
