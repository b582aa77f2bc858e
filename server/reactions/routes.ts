import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { me } from '../http/current-user.js';
import { perUser, registerUserRateLimits } from '../http/user-rate-limit.js';
import { MAX_PINS, MAX_REACTION_EMOJI, REACTION_USERS_SHOWN } from '../limits.js';
import { authorizeRoom } from '../rooms/access.js';
import { mayPin } from '../rooms/policy.js';
import { MessageSchema, PublicUserSchema, ReactionSchema, RoomParams, Seq, errorResponses } from '../schemas.js';
import { publicUser } from '../users/public-user.js';
import { Emoji } from './emoji.js';
import { withReactions } from './view.js';

/** Reactions to messages and pinned messages: PUT adds, DELETE removes, both idempotent. */
export default async function reactionRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store, config } = app;
  await registerUserRateLimits(app);
  const limited = perUser(config.rateLimits.messages);
  const ReactionParams = RoomParams.extend({ seq: Seq, emoji: Emoji });
  const PinParams = RoomParams.extend({ seq: Seq });
  const ReactionAnswer = z.object({
    seq: z.number().int(),
    changed: z.boolean().describe('false when there was nothing to do (already there, or already gone)'),
    reactions: z.array(ReactionSchema).describe("the message's reactions after the change"),
  });
  const roomCodes = ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'MESSAGE_NOT_FOUND', 'TOO_MANY_REQUESTS'] as const;

  /** The message's reactions now, as the caller sees them. */
  async function reactionsOf(roomId: string, seq: number, viewerId: string) {
    const summary = await store.listReactions(roomId, [seq], viewerId, REACTION_USERS_SHOWN);
    return summary.get(seq) ?? [];
  }

  r.put(
    '/api/rooms/:roomId/messages/:seq/reactions/:emoji',
    {
      config: limited,
      schema: {
        tags: ['reactions'],
        summary: 'React to a message with one emoji (again: nothing changes)',
        description: `A message takes at most ${MAX_REACTION_EMOJI} different emoji. Each reaction added is a reaction.added event.`,
        params: ReactionParams,
        response: { 200: ReactionAnswer, ...errorResponses(...roomCodes, 'TOO_MANY_REACTIONS') },
      },
    },
    async (request) => {
      const user = me(request);
      const { roomId, seq, emoji } = request.params;
      const { room } = await authorizeRoom(store, roomId, user.id, 'post');
      const { event } = await store.addReaction(room.id, seq, emoji, publicUser(user), MAX_REACTION_EMOJI);
      return { seq, changed: event !== null, reactions: await reactionsOf(room.id, seq, user.id) };
    },
  );

  r.delete(
    '/api/rooms/:roomId/messages/:seq/reactions/:emoji',
    {
      config: limited,
      schema: {
        tags: ['reactions'],
        summary: 'Take back your reaction (one you do not have: nothing changes)',
        description: 'Each reaction removed is a reaction.removed event.',
        params: ReactionParams,
        response: { 200: ReactionAnswer, ...errorResponses(...roomCodes) },
      },
    },
    async (request) => {
      const user = me(request);
      const { roomId, seq, emoji } = request.params;
      const { room } = await authorizeRoom(store, roomId, user.id, 'post');
      const { event } = await store.removeReaction(room.id, seq, emoji, publicUser(user));
      return { seq, changed: event !== null, reactions: await reactionsOf(room.id, seq, user.id) };
    },
  );

  const PinAnswer = z.object({
    seq: z.number().int(),
    pinned: z.boolean(),
    changed: z.boolean().describe('false when there was nothing to do (already pinned, or not pinned)'),
  });
  const pinCodes = [...roomCodes, 'PIN_FORBIDDEN'] as const;

  /** The room, once the caller may pin in it. */
  async function pinningRoom(roomId: string, userId: string) {
    const { room, membership } = await authorizeRoom(store, roomId, userId, 'post');
    if (!mayPin(room, membership)) throw fail('PIN_FORBIDDEN');
    return room;
  }

  r.put(
    '/api/rooms/:roomId/pins/:seq',
    {
      config: limited,
      schema: {
        tags: ['pins'],
        summary: 'Pin a message (owner and admins; both people in a direct conversation)',
        description: `A room has at most ${MAX_PINS} pins. Pinning is a message.pinned event; pinning again changes nothing.`,
        params: PinParams,
        response: { 200: PinAnswer, ...errorResponses(...pinCodes, 'TOO_MANY_PINS') },
      },
    },
    async (request) => {
      const user = me(request);
      const room = await pinningRoom(request.params.roomId, user.id);
      const { event } = await store.pinMessage(room.id, request.params.seq, publicUser(user), MAX_PINS);
      return { seq: request.params.seq, pinned: true, changed: event !== null };
    },
  );

  r.delete(
    '/api/rooms/:roomId/pins/:seq',
    {
      config: limited,
      schema: {
        tags: ['pins'],
        summary: 'Unpin a message (owner and admins; both people in a direct conversation)',
        description: 'Unpinning is a message.unpinned event; unpinning a message that is not pinned changes nothing.',
        params: PinParams,
        response: { 200: PinAnswer, ...errorResponses(...pinCodes) },
      },
    },
    async (request) => {
      const user = me(request);
      const room = await pinningRoom(request.params.roomId, user.id);
      const { event } = await store.unpinMessage(room.id, request.params.seq, publicUser(user));
      return { seq: request.params.seq, pinned: false, changed: event !== null };
    },
  );

  r.get(
    '/api/rooms/:roomId/pins',
    {
      schema: {
        tags: ['pins'],
        summary: "The room's pinned messages, newest pin first (members)",
        params: RoomParams,
        response: {
          200: z.object({
            pins: z.array(
              z.object({
                message: MessageSchema,
                by: PublicUserSchema.describe('who pinned it'),
                at: z.string().describe('when it was pinned'),
              }),
            ),
          }),
          ...errorResponses('ROOM_NOT_FOUND', 'NOT_A_MEMBER'),
        },
      },
    },
    async (request) => {
      const user = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const pins = await store.listPins(room.id);
      const messages = await withReactions(
        store,
        room.id,
        pins.map((p) => p.message),
        user.id,
      );
      return { pins: pins.map((p, i) => ({ message: messages[i]!, by: p.by, at: p.at })) };
    },
  );
}
