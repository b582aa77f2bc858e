import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { me } from '../http/current-user.js';
import { perUser, registerUserRateLimits } from '../http/user-rate-limit.js';
import { MAX_ATTACHMENTS, RECEIPTS_LIST, RECEIPTS_MAX_LIST } from '../limits.js';
import { authorizeRoom } from '../rooms/access.js';
import { mayMention } from './mentions.js';
import { mayDeleteMessage, mayEditMessage } from '../rooms/policy.js';
import {
  Id,
  MessageSchema,
  MessageText,
  PublicUserSchema,
  RoomParams,
  Seq,
  errorResponses,
  errors,
} from '../schemas.js';
import type { Message } from '../store/store.js';
import { oneWithReactions, withReactions } from '../reactions/view.js';
import { removeBlobs } from '../uploads/blobs.js';
import { messagesAround } from './around.js';
import { publicUser } from '../users/public-user.js';
import threadRoutes from './thread-routes.js';

export default async function messageRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store, config } = app;
  const tags = ['messages'];
  await registerUserRateLimits(app);
  const MessageParams = RoomParams.extend({ seq: Seq });
  await app.register(threadRoutes);

  /** The message at `seq`, or 404. A deleted message still reads (as a tombstone) unless `live` is asked for. */
  async function loadMessage(roomId: string, seq: number, opts: { live?: boolean } = {}): Promise<Message> {
    const message = await store.getMessage(roomId, seq);
    if (!message || (opts.live && message.deletedAt)) throw fail('MESSAGE_NOT_FOUND');
    return message;
  }

  /** Who is online in the room, for an @here in `text` (mentions.ts); none asked for when the text has no `@`. */
  async function onlineFor(roomId: string, text: string | undefined): Promise<string[]> {
    return mayMention(text ?? null) ? [...(await store.presence.online(roomId))] : [];
  }

  r.post(
    '/api/rooms/:roomId/messages',
    {
      config: perUser(config.rateLimits.messages),
      schema: {
        tags,
        summary: 'Post a message (members). Answers after the message is stored.',
        description:
          'Answers 201 once the message is stored. With a `clientId`, the request can be retried safely (after a timeout or a lost answer): ' +
          'a key you already used in this room answers 200 with the message stored under it, whatever the body, and stores nothing.',
        params: RoomParams,
        body: z
          .object({
            text: MessageText.optional(),
            attachments: z
              .array(Id)
              .max(MAX_ATTACHMENTS)
              .default([])
              .describe('ids from POST /api/rooms/{roomId}/uploads'),
            clientId: z
              .string()
              .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'up to 64 letters, digits and . _ : -')
              .optional()
              .describe(
                'your key for this post, unique per room (e.g. a UUID); a retry with it returns the stored message',
              ),
            replyTo: Seq.optional().describe(
              'reply to this message of the room; the reply joins its thread (the root is the first message)',
            ),
          })
          .refine((b) => b.text !== undefined || b.attachments.length > 0, {
            path: ['text'],
            message: 'a message needs text or an attachment',
          })
          .refine((b) => new Set(b.attachments).size === b.attachments.length, {
            path: ['attachments'],
            message: 'an image is attached once',
          }),
        response: {
          201: z.object({ message: MessageSchema }),
          200: z.object({ message: MessageSchema }).describe('already posted with this clientId'),
          ...errors(401, 403, 404, 413, 429),
          ...errorResponses('INVALID_ATTACHMENT', 'REPLY_TO_UNKNOWN', 'REPLY_TO_DELETED'),
        },
      },
    },
    async (request, reply) => {
      const user = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const { text, attachments, clientId, replyTo } = request.body;
      const { message, created } = await store.postMessage(room.id, publicUser(user), {
        text: text ?? null,
        attachments,
        clientId: clientId ?? null,
        replyTo: replyTo ?? null,
        online: await onlineFor(room.id, text),
      });
      return reply
        .code(created ? 201 : 200)
        .send({ message: await oneWithReactions(store, room.id, message, user.id) });
    },
  );

  r.get(
    '/api/rooms/:roomId/messages',
    {
      schema: {
        tags,
        summary:
          'A page of history: newest first (optionally before a seq), ascending after a seq, or ascending around a seq',
        description:
          'With `around`, the page is centred on that message (a jump to a linked message; as many older as newer, ' +
          'the other side filling in near either end) and says whether older and newer messages exist beyond it. ' +
          'A seq that is not a message of this room is 404 MESSAGE_NOT_FOUND.',
        params: RoomParams,
        querystring: z
          .object({
            before: Seq.optional().describe('messages with seq < before, newest first'),
            after: z.coerce
              .number()
              .int()
              .min(0)
              .max(Number.MAX_SAFE_INTEGER)
              .optional()
              .describe('messages with seq > after, oldest first'),
            around: Seq.optional().describe('the page centred on the message with this seq, oldest first'),
            limit: z.coerce.number().int().min(1).max(100).default(50),
          })
          .refine(
            (q) => [q.before, q.after, q.around].filter((v) => v !== undefined).length <= 1,
            'use one of before, after and around',
          ),
        response: {
          200: z.object({
            messages: z.array(MessageSchema),
            hasMoreBefore: z.boolean().optional().describe('with around: older messages exist before the page'),
            hasMoreAfter: z.boolean().optional().describe('with around: newer messages exist after the page'),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const user = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const { around, ...page } = request.query;
      const result =
        around === undefined
          ? { messages: await store.listMessages(room.id, page) }
          : await messagesAround(store, room.id, around, page.limit);
      // Messages handed over in a history page are delivered to the reader as much as streamed ones are.
      const newest = result.messages.reduce((max, m) => Math.max(max, m.seq), 0);
      if (newest > 0) app.hub.receipts.delivered(room.id, user.id, newest);
      return { ...result, messages: await withReactions(store, room.id, result.messages, user.id) };
    },
  );

  r.post(
    '/api/rooms/:roomId/read',
    {
      schema: {
        tags,
        summary: 'Mark the room read up to a seq (read positions only move forward; lower values are ignored)',
        params: RoomParams,
        body: z.object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }),
        response: {
          200: z.object({ readSeq: z.number().int(), deliveredSeq: z.number().int() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const user = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const membership = await app.hub.receipts.read(room.id, user.id, request.body.seq);
      if (!membership) throw fail('NOT_A_MEMBER', { message: 'You are not a member of this room', status: 404 });
      return { readSeq: membership.readSeq, deliveredSeq: membership.deliveredSeq };
    },
  );

  r.get(
    '/api/rooms/:roomId/messages/:seq/receipts',
    {
      schema: {
        tags,
        summary: 'Who has the message delivered and who has read it (members other than its author)',
        description:
          'How many of each, and the first `limit` of each list (owners and admins first, then by username): in a room of thousands the lists are cut, the counts are not.',
        params: MessageParams,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(RECEIPTS_MAX_LIST).default(RECEIPTS_LIST),
        }),
        response: {
          200: z.object({
            seq: z.number().int(),
            counts: z.object({ delivered: z.number().int(), read: z.number().int(), pending: z.number().int() }),
            deliveredTo: z.array(PublicUserSchema),
            readBy: z.array(PublicUserSchema),
            pending: z.array(PublicUserSchema),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { room } = await authorizeRoom(store, request.params.roomId, me(request).id, 'post');
      const message = await loadMessage(room.id, request.params.seq);
      await app.hub.receipts.flush(room.id);
      const receipts = await store.messageReceipts(room.id, message.seq, message.author.id, request.query.limit);
      return { seq: message.seq, ...receipts };
    },
  );

  r.get(
    '/api/rooms/:roomId/messages/:seq',
    {
      schema: {
        tags,
        summary: 'One message',
        params: MessageParams,
        response: { 200: z.object({ message: MessageSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const viewer = me(request).id;
      const { room } = await authorizeRoom(store, request.params.roomId, viewer, 'post');
      return {
        message: await oneWithReactions(store, room.id, await loadMessage(room.id, request.params.seq), viewer),
      };
    },
  );

  r.patch(
    '/api/rooms/:roomId/messages/:seq',
    {
      schema: {
        tags,
        summary: 'Edit your message',
        params: MessageParams,
        body: z.object({ text: MessageText }),
        response: { 200: z.object({ message: MessageSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const user = me(request);
      const { room, membership } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const existing = await loadMessage(room.id, request.params.seq, { live: true });
      if (!mayEditMessage(room, membership, existing)) {
        throw fail('NOT_AUTHOR', { message: 'Only the author edits a message' });
      }
      const { text } = request.body;
      const online = await onlineFor(room.id, text);
      const { message } = await store.editMessage(room.id, existing.seq, publicUser(user), text, online);
      return { message: await oneWithReactions(store, room.id, message, user.id) };
    },
  );

  r.delete(
    '/api/rooms/:roomId/messages/:seq',
    {
      schema: {
        tags,
        summary: 'Delete a message (its author, or the room owner or an admin)',
        params: MessageParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const user = me(request);
      const { room, membership } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      const existing = await loadMessage(room.id, request.params.seq, { live: true });
      if (!mayDeleteMessage(room, membership, existing)) {
        throw fail('NOT_AUTHOR', { message: 'Only the author, the owner or an admin deletes a message' });
      }
      const { removedUploads } = await store.deleteMessage(room.id, existing.seq, publicUser(user));
      // Deleting a message deletes its images.
      await removeBlobs(
        store,
        removedUploads.map((u) => u.id),
      );
      return reply.code(204).send(null);
    },
  );
}
