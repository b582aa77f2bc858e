import { Schema } from 'mongoose';

/** Reactions and pins (see models.ts for the shared conventions). */
const options = { versionKey: false as const, minimize: false, strict: true };

/** One user's reaction with one emoji to one message. `addedSeq` is the seq of its reaction.added event: the order
 * of users and of emoji (timestamps can tie). */
export interface ReactionDoc {
  roomId: string;
  seq: number;
  emoji: string;
  userId: string;
  addedSeq: number;
}

export const reactionSchema = new Schema<ReactionDoc>(
  {
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    emoji: { type: String, required: true },
    userId: { type: String, required: true },
    addedSeq: { type: Number, required: true },
  },
  options,
);
// The key (one reaction per message, emoji and user); also serves a history page's { roomId, seq: { $in } } match
// and a deleted message's cleanup.
reactionSchema.index({ roomId: 1, seq: 1, emoji: 1, userId: 1 }, { unique: true });

/** A pinned message. `pinSeq` is the seq of its message.pinned event: the list's order, newest first. */
export interface PinDoc {
  roomId: string;
  seq: number;
  pinnedBy: string;
  pinnedAt: Date;
  pinSeq: number;
}

export const pinSchema = new Schema<PinDoc>(
  {
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    pinnedBy: { type: String, required: true },
    pinnedAt: { type: Date, required: true },
    pinSeq: { type: Number, required: true },
  },
  options,
);
pinSchema.index({ roomId: 1, seq: 1 }, { unique: true });
pinSchema.index({ roomId: 1, pinSeq: -1 });
