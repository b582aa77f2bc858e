import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { me } from '../http/current-user.js';
import { perUser, registerUserRateLimits } from '../http/user-rate-limit.js';
import { authorizeRoom } from '../rooms/access.js';
import { Id, RoomParams, errorResponses } from '../schemas.js';
import { MAX_WATCHED } from './presence-fanout.js';

const WatchBody = z.object({
  userIds: z
    .array(Id)
    .max(MAX_WATCHED)
    .describe(`the people to follow, at most ${MAX_WATCHED} (an empty list stops watching)`),
});

const WatchAnswer = z.object({
  online: z.number().int().describe('members online in the room now'),
  users: z.array(z.object({ userId: Id, online: z.boolean() })).describe('each watched person, online or not'),
});

/** Watch calls per user per minute: a client sends one when the rows it shows change (debounced). */
const WATCH_RATE = { max: 120, windowMs: 60_000 };

/** Presence in big rooms: a client names the people it shows, and its streams get their changes. */
export default async function presenceRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store } = app;
  await registerUserRateLimits(app);

  r.put(
    '/api/rooms/:roomId/presence/watch',
    {
      config: perUser(WATCH_RATE),
      schema: {
        tags: ['realtime'],
        summary: 'Name the people whose presence your streams of this room should carry (big rooms)',
        description:
          'A room with more members online than PRESENCE_FULL_LIMIT sends `presence` events with `complete: false`: ' +
          'the count, plus changes of the people you watch. This replaces your watch list for the room and answers ' +
          'their current state. It lasts while you have a stream following the room; send it again after a ' +
          'reconnect. Ids of people who are not members read as offline.',
        params: RoomParams,
        body: WatchBody,
        response: {
          200: WatchAnswer,
          ...errorResponses('ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'TOO_MANY_REQUESTS'),
        },
      },
    },
    async (request) => {
      const user = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const userIds = [...new Set(request.body.userIds)];
      // A signal, so it reaches whichever instance holds the user's streams (every instance, on MongoDB).
      store.signals.publish({ roomId: room.id, type: 'presence.watch', data: { userId: user.id, userIds } });
      const online = await store.presence.online(room.id);
      return { online: online.size, users: userIds.map((userId) => ({ userId, online: online.has(userId) })) };
    },
  );
}
