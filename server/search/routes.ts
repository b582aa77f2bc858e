import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { me } from '../http/current-user.js';
import { withReactionsAcrossRooms } from '../reactions/view.js';
import { Id, MessageSchema, RoomSchema, errors } from '../schemas.js';
import type { Room } from '../store/store.js';
import { SEARCH_MAX_CHARS, isDate, isEmptyQuery, nextDay, parseQuery } from './query.js';
import { makeSnippet } from './snippet.js';

/** A cursor is the key of the last result of a page: `<roomId>.<seq>`. */
const CURSOR = /^([A-Za-z0-9_-]{16})\.([1-9]\d{0,15})$/;

const DateParam = z.string().refine(isDate, 'must be a date written YYYY-MM-DD');

export const SearchResultSchema = z
  .object({
    message: MessageSchema,
    room: RoomSchema.pick({ id: true, name: true, kind: true }),
    snippet: z
      .object({
        text: z.string().describe('plain text (not HTML): up to about 180 characters of the message around a match'),
        matches: z
          .array(z.object({ start: z.number().int(), end: z.number().int() }))
          .describe('where the query matched in `text`: [start, end) UTF-16 offsets, ascending'),
      })
      .meta({ id: 'SearchSnippet' }),
  })
  .meta({ id: 'SearchResult' });

/** A 400 that names the query-string field at fault, in the shape of every validation error. */
function badField(field: string, message: string) {
  const path = `querystring.${field}`;
  return fail('VALIDATION_FAILED', { message: `${path}: ${message}`, details: [{ path, message }] });
}

export default async function searchRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store } = app;

  r.get(
    '/api/search',
    {
      schema: {
        tags: ['messages'],
        summary: 'Search the messages of your rooms, newest first',
        description:
          '`q` holds words (all must occur; the last one matches as a prefix unless a space follows it), ' +
          '"quoted phrases", and the operators `from:username`, `in:roomname` (`in:"two words"`), ' +
          '`before:YYYY-MM-DD` (before that day) and `after:YYYY-MM-DD` (after that day), dates in UTC. Case and ' +
          'diacritics do not matter. Edited messages are found by their current text, deleted ones not at all. ' +
          'The query-string filters narrow further. Each result has a plain-text snippet with match ranges; ' +
          '`nextCursor` fetches the next page.',
        querystring: z.object({
          q: z
            .string()
            .max(SEARCH_MAX_CHARS, `must be at most ${SEARCH_MAX_CHARS} characters`)
            .refine((s) => s.trim().length > 0, 'may not be empty'),
          roomId: Id.optional().describe('only this room'),
          from: z.string().max(64).optional().describe('only messages by this username'),
          before: DateParam.optional().describe('only messages from before this day (UTC)'),
          after: DateParam.optional().describe('only messages from after this day (UTC)'),
          limit: z.coerce.number().int().min(1).max(50).default(20),
          cursor: z
            .string()
            .regex(CURSOR, 'is not a cursor this API gave')
            .optional()
            .describe('`nextCursor` of the previous page'),
        }),
        response: {
          200: z.object({
            results: z.array(SearchResultSchema),
            nextCursor: z.string().nullable().describe('null on the last page'),
          }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const user = me(request);
      const qs = request.query;
      const parsed = parseQuery(qs.q);
      if (!parsed.ok) throw badField('q', parsed.message);
      const query = parsed.query;

      // Rooms: the roomId filter and in: names, both among the user's own rooms.
      let roomIds: string[] | undefined;
      if (qs.roomId) {
        const membership = await store.getMembership(qs.roomId, user.id);
        if (!membership || !(await store.getRoom(qs.roomId))) throw badField('roomId', 'no room of yours has this id');
        roomIds = [qs.roomId];
      }
      if (query.in.length > 0) {
        const mine = await store.listRoomsOfUser(user.id);
        const named = new Set<string>();
        for (const name of query.in) {
          const key = name.toLowerCase();
          const hits = mine.filter((x) => x.room.name.toLowerCase() === key || x.peer?.username.toLowerCase() === key);
          if (hits.length === 0) throw badField('q', `in:${name}: you are in no room of that name`);
          for (const hit of hits) named.add(hit.room.id);
        }
        roomIds = roomIds ? roomIds.filter((id) => named.has(id)) : [...named];
      }

      // Authors: the from filter and from: names, any of them.
      let authorIds: string[] | undefined;
      const names: Array<[string, string]> = query.from.map((n) => ['q', n]);
      if (qs.from) names.push(['from', qs.from.replace(/^@/, '').toLowerCase()]);
      if (names.length > 0) {
        authorIds = [];
        for (const [field, name] of names) {
          const author = await store.findUserByUsername(name);
          if (!author) throw badField(field, `${field === 'q' ? `from:${name}: ` : ''}no user is called ${name}`);
          authorIds.push(author.id);
        }
      }

      // Dates: the narrowest of each kind.
      const befores = [query.before, qs.before].filter((d): d is string => !!d).sort();
      const afters = [query.after, qs.after].filter((d): d is string => !!d).sort();
      const before = befores[0] ? `${befores[0]}T00:00:00.000Z` : undefined;
      const after = afters.length ? `${nextDay(afters[afters.length - 1]!)}T00:00:00.000Z` : undefined;

      const filtered = roomIds || authorIds || before || after;
      if (query.terms.length === 0 && !filtered && isEmptyQuery(query)) return { results: [], nextCursor: null };

      const c = qs.cursor ? CURSOR.exec(qs.cursor) : null;
      const found = await store.searchMessages(user.id, {
        terms: query.terms,
        roomIds,
        authorIds,
        before,
        after,
        cursor: c ? { roomId: c[1]!, seq: Number(c[2]) } : undefined,
        limit: qs.limit + 1,
      });
      const page = found.slice(0, qs.limit);
      const rooms = new Map<string, Room | null>();
      const results = [];
      for (const message of await withReactionsAcrossRooms(store, page, user.id)) {
        if (!rooms.has(message.roomId)) rooms.set(message.roomId, await store.getRoom(message.roomId));
        const room = rooms.get(message.roomId);
        if (!room) continue;
        results.push({
          message,
          room: { id: room.id, name: room.name, kind: room.kind },
          snippet: makeSnippet(message.text ?? '', query.terms),
        });
      }
      const last = page[page.length - 1];
      return { results, nextCursor: found.length > qs.limit && last ? `${last.roomId}.${last.seq}` : null };
    },
  );
}
