import { REACTION_USERS_SHOWN } from '../limits.js';
import type { Message, MessageWithReactions, Store } from '../store/store.js';

/**
 * Messages as `viewerId` is shown them: each with its reactions, loaded for the whole list in one store query (a
 * history page costs one more query, not one per message).
 */
export async function withReactions(
  store: Store,
  roomId: string,
  messages: Message[],
  viewerId: string,
): Promise<MessageWithReactions[]> {
  const live = messages.filter((m) => !m.deletedAt).map((m) => m.seq);
  const reactions = await store.listReactions(roomId, live, viewerId, REACTION_USERS_SHOWN);
  return messages.map((m) => ({ ...m, reactions: reactions.get(m.seq) ?? [] }));
}

export async function oneWithReactions(
  store: Store,
  roomId: string,
  message: Message,
  viewerId: string,
): Promise<MessageWithReactions> {
  return (await withReactions(store, roomId, [message], viewerId))[0]!;
}

/** Messages of several rooms (search results): one query per room among them. */
export async function withReactionsAcrossRooms(
  store: Store,
  messages: Message[],
  viewerId: string,
): Promise<MessageWithReactions[]> {
  const byRoom = new Map<string, Message[]>();
  for (const m of messages) byRoom.set(m.roomId, [...(byRoom.get(m.roomId) ?? []), m]);
  const shown = new Map<Message, MessageWithReactions>();
  for (const [roomId, list] of byRoom) {
    const decorated = await withReactions(store, roomId, list, viewerId);
    list.forEach((m, i) => shown.set(m, decorated[i]!));
  }
  return messages.map((m) => shown.get(m)!);
}
