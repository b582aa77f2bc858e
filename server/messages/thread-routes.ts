import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { me } from '../http/current-user.js';
import { authorizeRoom } from '../rooms/access.js';
import { withReactions } from '../reactions/view.js';
import { MessageSchema, RoomParams, Seq, errorResponses, errors } from '../schemas.js';

/** Threads: the replies of a root, in order. Replying itself is POST .../messages with `replyTo`. */
export default async function threadRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store } = app;

  r.get(
    '/api/rooms/:roomId/messages/:seq/thread',
    {
      schema: {
        tags: ['messages'],
        summary: "A page of a thread's replies, oldest first, with its root",
        description:
          '`seq` is the root (the first message of the thread; a reply names it in `threadSeq`). Replies with ' +
          'seq > after, at most limit; deleted replies are included as tombstones. Page on with after = the last seq.',
        params: RoomParams.extend({ seq: Seq }),
        querystring: z.object({
          after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
          limit: z.coerce.number().int().min(1).max(100).default(50),
        }),
        response: {
          200: z.object({ root: MessageSchema, replies: z.array(MessageSchema) }),
          ...errors(400, 401, 403),
          ...errorResponses('ROOM_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'THREAD_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      const viewer = me(request).id;
      const { room } = await authorizeRoom(store, request.params.roomId, viewer, 'post');
      const root = await store.getMessage(room.id, request.params.seq);
      if (!root) throw fail('MESSAGE_NOT_FOUND');
      if (root.threadSeq !== null) {
        throw fail('THREAD_NOT_FOUND', {
          message: `#${root.seq} is a reply; its thread starts at #${root.threadSeq}`,
          details: [{ path: 'params.seq', message: `the root is ${root.threadSeq}` }],
        });
      }
      const replies = await store.listThread(room.id, root.seq, request.query);
      const [shown, ...shownReplies] = await withReactions(store, room.id, [root, ...replies], viewer);
      return { root: shown!, replies: shownReplies };
    },
  );
}
