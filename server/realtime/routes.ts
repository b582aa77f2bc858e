import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { me } from '../http/current-user.js';
import { authorizeRoom as roomFor } from '../rooms/access.js';
import { publicUser } from '../users/public-user.js';
import { RoomEventSchema, RoomParams, errors } from '../schemas.js';
import { retryFrame } from './frame.js';
import type { CursorBase } from './stream-cursor.js';
import type { Subscriber } from './subscriber.js';
import { TypingLimiter } from './typing.js';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
};

const RETRY_MS = 2000;
const RETRY_FRAME = retryFrame(RETRY_MS);

/** The resume position: the Last-Event-ID header (a browser reconnect) wins over ?lastEventId= (the first connect). */
function resumeId(request: FastifyRequest, query: { lastEventId?: string }): string | undefined {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && value !== '' ? value : query.lastEventId;
}

/**
 * Takes the connection over from Fastify and opens the event stream. The response head is written by hand, with
 * no chunked transfer encoding and `Connection: close` (the stream ends when the connection does, as HTTP/1.1
 * allows), so every frame afterwards is the same bytes for every subscriber, written to the socket in one call.
 */
function openStream(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  mode: 'room' | 'user',
  base: CursorBase | null = null,
): Subscriber {
  const user = me(request);
  // Checked in the same turn as the subscriber is created, so parallel requests cannot all slip under the cap.
  if (app.hub.streamsOf(user.id) >= app.config.maxStreamsPerUser) {
    throw fail('TOO_MANY_STREAMS', { message: `At most ${app.config.maxStreamsPerUser} streams may be open at once` });
  }
  reply.hijack();
  const socket = request.raw.socket;
  const headers = { ...SSE_HEADERS, 'x-request-id': String(request.id), connection: 'close' };
  const head = `HTTP/1.1 200 OK\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\ndate: ${new Date().toUTCString()}\r\n\r\n`;
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 30_000);
  const sub = app.hub.createSubscriber({
    socket,
    user: publicUser(user),
    mode,
    sessionId: request.auth?.sessionId ?? null,
    apiTokenId: request.auth?.apiTokenId ?? null,
    base,
  });
  // Queued with the stream's first frames, so they all leave in one system call at the turn's end: written on their
  // own they were two more system calls, about 45 µs of an open's 300 in a 10,000-member storm's CPU profile.
  sub.write(Buffer.from(head, 'latin1'));
  sub.write(RETRY_FRAME);
  app.hub.expireAt(sub, request.auth?.expiresAtMs ?? null);
  return sub;
}

const Query = z.object({
  lastEventId: z
    .string()
    .max(100_000)
    .optional()
    .describe('resume position for a first connection (the Last-Event-ID header wins when both are sent)'),
});

export default async function realtimeRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store, hub } = app;
  const tags = ['realtime'];

  r.get(
    '/api/rooms/:roomId/events',
    {
      config: { stream: true },
      schema: {
        tags,
        summary: 'Server-Sent Events stream of one room (id = room seq)',
        description:
          'Starts with `retry:`, then an `id:` line alone with the position the stream starts from (resume from it ' +
          'even if no event arrived). Stored events carry `id:` = their seq and `event:` = their type with the ' +
          'RoomEvent as JSON `data:`. ' +
          'Resume with the Last-Event-ID header or ?lastEventId=N: every event with seq > N arrives once, in order. ' +
          'A position the server cannot replay gets an id-less-of-history `reset` event (refetch history). Heartbeat comments (`:`) keep the connection open. ' +
          'The stream ends when the access token expires (`expired` event), when you leave or are removed, and after ' +
          '`room.deleted`; also when its session ends or its API token is revoked. ' +
          'A user may have MAX_STREAMS_PER_USER streams open at once (429 beyond).',
        params: RoomParams,
        querystring: Query,
        produces: ['text/event-stream'],
        response: errors(400, 401, 403, 404, 429),
      },
    },
    async (request, reply) => {
      const { room } = await roomFor(store, request.params.roomId, me(request).id, 'post');
      const raw = resumeId(request, request.query);
      if (raw !== undefined && !/^\d{1,15}$/.test(raw)) {
        throw fail('BAD_LAST_EVENT_ID', {
          message: 'Last-Event-ID must be a room seq (a non-negative integer)',
          details: [{ path: 'lastEventId', message: 'must be a non-negative integer' }],
        });
      }
      const sub = openStream(app, request, reply, 'room');
      await hub.open(sub, [[room.id, raw === undefined ? room.lastSeq : Number(raw)]]);
    },
  );

  r.get(
    '/api/rooms/:roomId/log',
    {
      schema: {
        tags,
        summary: "A page of the room's event log as JSON, newest first (what the stream would have carried)",
        description:
          'Events with seq < before (default: all), at most limit. Clients use it to show activity (joins, leaves, renames) around history.',
        params: RoomParams,
        querystring: z.object({
          before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ events: z.array(RoomEventSchema) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { room } = await roomFor(store, request.params.roomId, me(request).id, 'post');
      const before = Math.min(request.query.before ?? room.lastSeq + 1, room.lastSeq + 1);
      // Seqs are dense (1, 2, 3 ...), so the page before `before` starts right after before - 1 - limit.
      const from = Math.max(0, before - 1 - request.query.limit);
      const events = await store.eventsAfter(room.id, from, before - 1 - from);
      return { events: events.reverse() };
    },
  );

  const typing = new TypingLimiter();
  r.post(
    '/api/rooms/:roomId/typing',
    {
      schema: {
        tags,
        summary: 'Tell the room you are typing (an ephemeral `typing` event to the others)',
        params: RoomParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const user = me(request);
      const { room } = await roomFor(store, request.params.roomId, user.id, 'post');
      const decision = typing.check(room.id, user.id);
      if (!decision.allowed) {
        const headers = { 'retry-after': String(decision.retryAfterS) };
        throw fail('TOO_MANY_REQUESTS', { message: 'Typing notices are limited', headers });
      }
      if (decision.broadcast) {
        // Clients show the notice for `expiresInMs`.
        store.signals.publish({
          roomId: room.id,
          type: 'typing',
          data: { roomId: room.id, user: publicUser(user), expiresInMs: 5000 },
        });
      }
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/events',
    {
      config: { stream: true },
      schema: {
        tags,
        summary: 'One Server-Sent Events stream for all your rooms (id = a cursor of every room position)',
        description:
          'Same events as the room streams, for every room you are a member of, including rooms you join while connected. ' +
          'The id is an opaque cursor, sent alone first (the starting position) and with every stored event; ' +
          'resume with Last-Event-ID or ?lastEventId=<cursor>. A cursor unused for 30 days may be forgotten: the ' +
          'stream then sends a `reset` for each room it cannot place and goes on from the head.',
        querystring: Query,
        produces: ['text/event-stream'],
        response: errors(400, 401, 429),
      },
    },
    async (request, reply) => {
      const user = me(request);
      const raw = resumeId(request, request.query);
      const start =
        raw === undefined
          ? { positions: new Map<string, number>(), lost: false, base: null }
          : await hub.cursorBases.resume(raw);
      if (!start)
        throw fail('BAD_LAST_EVENT_ID', {
          message: 'Last-Event-ID is not a cursor this server issued',
          details: [{ path: 'lastEventId', message: 'malformed cursor' }],
        });
      const mine = await store.listRoomsOfUser(user.id);
      const sub = openStream(app, request, reply, 'user', start.base);
      await hub.open(
        sub,
        mine.map(({ room }) => {
          const at = start.positions.get(room.id);
          // A room not in the cursor: joined since, so it starts at the head; or its position went with the base.
          return at === undefined ? [room.id, room.lastSeq, start.lost] : [room.id, at];
        }),
        raw,
      );
    },
  );
}
