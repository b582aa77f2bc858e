import { Schema } from 'mongoose';

/**
 * One document per member a message mentions (by name, @room, or @here while they were online: `here`), written in
 * the post's or edit's transaction and removed with the message. The unread mention counts and the mentions inbox
 * read these; the message itself keeps what its text says (mentions, mentionsRoom, mentionsHere).
 */
export interface MentionDoc {
  userId: string;
  roomId: string;
  seq: number;
  /** The message's creation time: the inbox's order. */
  at: Date;
  here: boolean;
}

export const mentionSchema = new Schema<MentionDoc>(
  {
    userId: { type: String, required: true },
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
    here: { type: Boolean, default: false },
  },
  { versionKey: false as const, minimize: false, strict: true },
);
// A member is mentioned by a message once; the unread count of a room is a range on (userId, roomId, seq).
mentionSchema.index({ userId: 1, roomId: 1, seq: 1 }, { unique: true });
// The inbox: a user's mentions newest first.
mentionSchema.index({ userId: 1, at: -1, roomId: -1, seq: -1 });
// An edit or a delete replaces a message's mentions.
mentionSchema.index({ roomId: 1, seq: 1 });
