import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { me } from '../http/current-user.js';
import { authorizeRoom } from '../rooms/access.js';
import { MembershipSchema, MessageSchema, RoomParams, RoomSchema, errors } from '../schemas.js';
import { NOTIFY_LEVELS, type Room } from '../store/store.js';
import { withReactionsAcrossRooms } from '../reactions/view.js';
import { decodeMentionCursor, encodeMentionCursor } from './mention-cursor.js';

/** What reaches you: the mentions inbox and your notification settings per room. */
export default async function attentionRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store } = app;
  const tags = ['attention'];

  r.get(
    '/api/mentions',
    {
      schema: {
        tags,
        summary: 'The messages that mention you (@you, @room, @here while you were online) in your rooms, newest first',
        description:
          'Your own messages and deleted ones are not listed; neither are rooms you have left. ' +
          'Pass `nextBefore` as `before` for the next page.',
        querystring: z.object({
          before: z.string().max(200).optional().describe('nextBefore of the previous page'),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: {
          200: z.object({
            mentions: z.array(
              z.object({ message: MessageSchema, room: RoomSchema.pick({ id: true, name: true, kind: true }) }),
            ),
            nextBefore: z.string().nullable().describe('the cursor of the next page; null after the last'),
          }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const { before, limit } = request.query;
      const after = before === undefined ? undefined : decodeMentionCursor(before);
      if (after === null) {
        throw fail('VALIDATION_FAILED', {
          message: 'query.before: not a cursor this server issued',
          details: [{ path: 'query.before', message: 'not a cursor this server issued' }],
        });
      }
      // One more than asked tells whether another page follows.
      const found = await store.listMentions(me(request).id, { limit: limit + 1, before: after });
      const userId = me(request).id;
      const page = await withReactionsAcrossRooms(store, found.slice(0, limit), userId);
      const rooms = new Map<string, Room | null>();
      for (const { roomId } of page) if (!rooms.has(roomId)) rooms.set(roomId, await store.getRoom(roomId));
      const mentions = page.flatMap((message) => {
        const room = rooms.get(message.roomId);
        return room ? [{ message, room: { id: room.id, name: room.name, kind: room.kind } }] : [];
      });
      const last = page.at(-1);
      return { mentions, nextBefore: found.length > limit && last ? encodeMentionCursor(last) : null };
    },
  );

  r.patch(
    '/api/rooms/:roomId/membership',
    {
      schema: {
        tags,
        summary: 'Your notification level and mute for a room (members)',
        description:
          '`notify`: `all` messages, `mentions` of you (the default; direct rooms default to `all`) or `none`. ' +
          'A `muted` room shows no unread badge. Your other streams get a `membership` event (docs/events.md).',
        params: RoomParams,
        body: z
          .object({ notify: z.enum(NOTIFY_LEVELS).optional(), muted: z.boolean().optional() })
          .strict()
          .refine((b) => b.notify !== undefined || b.muted !== undefined, {
            message: 'set notify, muted or both',
            path: ['notify'],
          }),
        response: { 200: z.object({ membership: MembershipSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const user = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const membership = await store.setNotify(room.id, user.id, request.body);
      if (!membership) throw fail('NOT_A_MEMBER', { message: 'You are not a member of this room', status: 404 });
      // A preference of one member, not a fact of the room: only the member's own streams hear of it.
      store.signals.publish({ roomId: room.id, type: 'membership', data: { roomId: room.id, membership } });
      return { membership };
    },
  );
}
