import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { DIRECTORY_FIRST_PAGE, DIRECTORY_MAX_PAGE, MEMBERS_MAX_PAGE } from '../limits.js';
import { me } from '../http/current-user.js';
import { perUser, registerUserRateLimits } from '../http/user-rate-limit.js';
import {
  Id,
  MemberSchema,
  PublicUserSchema,
  MembershipSchema,
  RoomListEntrySchema,
  RoomName,
  RoomParams,
  RoomSchema,
  Topic,
  Username,
  errors,
} from '../schemas.js';
import { removeBlobs } from '../uploads/blobs.js';
import { memberAsSeenBy } from './member-view.js';
import { publicUser } from '../users/public-user.js';
import type { Member, RoomDirectoryPage } from '../store/store.js';
import { authorizeRoom } from './access.js';
import {
  decodeDirectoryCursor,
  decodeMembersCursor,
  encodeDirectoryCursor,
  encodeMembersCursor,
} from './page-cursors.js';
import { allows, leaveRefusal, mayChangeRoleOf, mayChangeRoles, mayRemove, mayRemoveMembers } from './policy.js';

export default async function roomRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store, config } = app;
  const tags = ['rooms'];
  await registerUserRateLimits(app);

  r.post(
    '/api/rooms',
    {
      config: perUser(config.rateLimits.rooms),
      schema: {
        tags,
        summary: 'Create a room; you become its owner',
        body: z.object({
          name: RoomName,
          topic: Topic.optional(),
          kind: z.enum(['public', 'private']).default('public'),
        }),
        response: { 201: z.object({ room: RoomSchema }), ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { room } = await store.createRoom({
        name: request.body.name,
        topic: request.body.topic ?? '',
        kind: request.body.kind,
        owner: publicUser(me(request)),
      });
      return reply.code(201).send({ room });
    },
  );

  /** One member with their public profile, or null: read alone (a room's whole list is thousands of rows). */
  const memberOf = async (roomId: string, userId: string): Promise<Member | null> => {
    const [membership, user] = await Promise.all([store.getMembership(roomId, userId), store.getUser(userId)]);
    return membership && user ? { ...membership, user: publicUser(user) } : null;
  };

  /** One page of the public rooms `userId` is not in, with the cursor of the next page (null after the last). */
  const directoryPage = async (userId: string, limit: number, after?: RoomDirectoryPage['after']) => {
    // One more than asked tells whether another page follows.
    const rooms = await store.listPublicRooms(userId, { limit: limit + 1, after });
    const page = rooms.slice(0, limit);
    const last = page.at(-1);
    const entries = page.map((room) => ({
      ...room,
      membership: null,
      joined: false,
      unread: 0,
      unreadMentions: 0,
      peer: null,
    }));
    return { entries, next: rooms.length > limit && last ? encodeDirectoryCursor(last) : null };
  };

  r.get(
    '/api/rooms',
    {
      schema: {
        tags,
        summary:
          'Your rooms, then the newest public rooms you can join (membership null); more with /api/rooms/directory',
        querystring: z.object({
          publicLimit: z.coerce
            .number()
            .int()
            .min(0)
            .max(DIRECTORY_MAX_PAGE)
            .default(DIRECTORY_FIRST_PAGE)
            .describe('how many public rooms you are not in to include'),
        }),
        response: {
          200: z.object({
            rooms: z.array(RoomListEntrySchema),
            publicCursor: z
              .string()
              .nullable()
              .describe('GET /api/rooms/directory?cursor= gives the next public rooms'),
          }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const userId = me(request).id;
      const [mine, directory] = await Promise.all([
        store.listRoomsOfUser(userId),
        directoryPage(userId, request.query.publicLimit),
      ]);
      const rooms = mine.map(({ room, membership, unread, unreadMentions, peer }) => ({
        ...room,
        membership,
        joined: true,
        unread,
        unreadMentions,
        peer,
      }));
      return { rooms: [...rooms, ...directory.entries], publicCursor: directory.next };
    },
  );

  r.get(
    '/api/rooms/directory',
    {
      schema: {
        tags,
        summary: 'The public rooms you are not in, newest first, a page at a time',
        querystring: z.object({
          cursor: z.string().max(200).optional().describe('publicCursor or nextCursor of the previous page'),
          limit: z.coerce.number().int().min(1).max(DIRECTORY_MAX_PAGE).default(DIRECTORY_FIRST_PAGE),
        }),
        response: {
          200: z.object({ rooms: z.array(RoomListEntrySchema), nextCursor: z.string().nullable() }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const after = cursor === undefined ? undefined : decodeDirectoryCursor(cursor);
      if (after === null) {
        throw fail('VALIDATION_FAILED', {
          message: 'query.cursor: not a cursor this server issued',
          details: [{ path: 'query.cursor', message: 'not a cursor this server issued' }],
        });
      }
      const page = await directoryPage(me(request).id, limit, after);
      return { rooms: page.entries, nextCursor: page.next };
    },
  );

  r.get(
    '/api/rooms/:roomId',
    {
      schema: {
        tags,
        summary: 'One room (public rooms are visible to everyone; others only to members)',
        params: RoomParams,
        response: {
          200: z.object({ room: RoomSchema, membership: MembershipSchema.nullable() }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (request) => authorizeRoom(store, request.params.roomId, me(request).id, 'read'),
  );

  r.patch(
    '/api/rooms/:roomId',
    {
      schema: {
        tags,
        summary: 'Rename a room or change its topic (owner or admin)',
        params: RoomParams,
        body: z
          .object({ name: RoomName.optional(), topic: Topic.optional() })
          .refine((b) => b.name !== undefined || b.topic !== undefined, 'nothing to change'),
        response: { 200: z.object({ room: RoomSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const user = me(request);
      await authorizeRoom(store, request.params.roomId, user.id, 'update');
      const { room } = await store.updateRoom(request.params.roomId, publicUser(user), request.body);
      return { room };
    },
  );

  r.delete(
    '/api/rooms/:roomId',
    {
      schema: {
        tags,
        summary: 'Delete a room (owner)',
        params: RoomParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const user = me(request);
      await authorizeRoom(store, request.params.roomId, user.id, 'delete');
      const { removedUploads } = await store.deleteRoom(request.params.roomId, publicUser(user));
      // A deleted room keeps no images.
      await removeBlobs(
        store,
        removedUploads.map((u) => u.id),
      );
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/rooms/:roomId/join',
    {
      schema: {
        tags,
        summary: 'Join a public room (201; 200 when already a member)',
        params: RoomParams,
        response: {
          200: z.object({ membership: MembershipSchema }),
          201: z.object({ membership: MembershipSchema }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const user = me(request);
      const { room, membership } = await authorizeRoom(store, request.params.roomId, user.id, 'read');
      if (membership) return reply.code(200).send({ membership });
      if (!allows(room, membership, 'join')) throw fail('ROOM_NOT_FOUND');
      try {
        const joined = await store.addMember(room.id, publicUser(user), 'member', publicUser(user));
        return reply.code(201).send({ membership: joined.membership });
      } catch (err) {
        // Two joins racing: the loser answers like a repeated join.
        const now = await store.getMembership(room.id, user.id);
        if (now) return reply.code(200).send({ membership: now });
        throw err;
      }
    },
  );

  r.post(
    '/api/rooms/:roomId/leave',
    {
      schema: {
        tags,
        summary: 'Leave a room',
        params: RoomParams,
        response: { 204: z.null(), ...errors(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const user = me(request);
      const { room, membership } = await authorizeRoom(store, request.params.roomId, user.id, 'read');
      const refusal = leaveRefusal(room, membership);
      if (refusal === 'NOT_A_MEMBER')
        throw fail(refusal, { message: 'You are not a member of this room', status: 404 });
      if (refusal) throw fail(refusal);
      await store.removeMember(room.id, publicUser(user), publicUser(user), 'left');
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/rooms/:roomId/members',
    {
      schema: {
        tags,
        summary: 'Members of a room, owners and admins first, then by username; a page at a time',
        params: RoomParams,
        querystring: z.object({
          cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .max(MEMBERS_MAX_PAGE)
            .optional()
            .describe('members per page (default MEMBERS_PAGE_SIZE, 500)'),
          q: z
            .string()
            .trim()
            .min(1)
            .max(64)
            .optional()
            .describe('only members whose username or display name contains this (any case)'),
        }),
        response: {
          200: z.object({
            members: z.array(MemberSchema.extend({ online: z.boolean() })),
            nextCursor: z.string().nullable().describe('null on the last page'),
          }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { cursor, q } = request.query;
      const limit = request.query.limit ?? config.membersPageSize;
      const after = cursor === undefined ? undefined : decodeMembersCursor(cursor);
      if (after === null) {
        throw fail('VALIDATION_FAILED', {
          message: 'query.cursor: not a cursor this server issued',
          details: [{ path: 'query.cursor', message: 'not a cursor this server issued' }],
        });
      }
      const myId = me(request).id;
      await authorizeRoom(store, request.params.roomId, myId, 'read');
      const [page, online] = await Promise.all([
        // One more than asked: whether a next page exists.
        store.listMembersPage(request.params.roomId, { after: after ?? null, limit: limit + 1, query: q ?? null }),
        store.presence.online(request.params.roomId),
      ]);
      const members = page.slice(0, limit);
      return {
        members: members.map((m) => ({ ...memberAsSeenBy(myId, m), online: online.has(m.userId) })),
        nextCursor: page.length > limit ? encodeMembersCursor(members[members.length - 1]!) : null,
      };
    },
  );

  r.post(
    '/api/rooms/:roomId/members',
    {
      schema: {
        tags,
        summary: 'Add someone to the room (owner or admin); the way into a private room',
        params: RoomParams,
        body: z.object({ username: Username }),
        response: { 201: z.object({ member: MemberSchema }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, actor.id, 'add-member');
      const target = await store.findUserByUsername(request.body.username);
      if (!target) throw fail('USER_NOT_FOUND', { message: `No user named ${request.body.username}` });
      const { membership } = await store.addMember(room.id, publicUser(target), 'member', publicUser(actor));
      return reply
        .code(201)
        .send({ member: { ...memberAsSeenBy(me(request).id, membership), user: publicUser(target) } });
    },
  );

  r.post(
    '/api/dms',
    {
      schema: {
        tags,
        summary: 'The direct conversation with a user: created on first use, the same room afterwards',
        body: z.object({ username: Username }),
        response: {
          200: z.object({ room: RoomSchema, peer: PublicUserSchema }),
          201: z.object({ room: RoomSchema, peer: PublicUserSchema }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const user = me(request);
      const peer = await store.findUserByUsername(request.body.username);
      if (!peer) throw fail('USER_NOT_FOUND', { message: `No user named ${request.body.username}` });
      if (peer.id === user.id) throw fail('DM_SELF', { details: [{ path: 'body.username', message: 'is you' }] });
      const { room, created } = await store.openDirectRoom(publicUser(user), publicUser(peer));
      return reply.code(created ? 201 : 200).send({ room, peer: publicUser(peer) });
    },
  );

  const MemberParams = RoomParams.extend({ userId: Id });

  r.patch(
    '/api/rooms/:roomId/members/:userId',
    {
      schema: {
        tags,
        summary: "Change a member's role (owner). Making someone owner transfers ownership; you become admin.",
        params: MemberParams,
        body: z.object({ role: z.enum(['owner', 'admin', 'member']) }),
        response: { 200: z.object({ member: MemberSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = me(request);
      const { room, membership } = await authorizeRoom(store, request.params.roomId, actor.id, 'read');
      if (!mayChangeRoles(room, membership)) throw fail('FORBIDDEN', { message: 'Only the owner changes roles' });
      const target = await memberOf(room.id, request.params.userId);
      if (!target) throw fail('NOT_A_MEMBER', { message: 'That user is not a member of this room', status: 404 });
      // The owner may change roles, so what remains refused is its own.
      if (!mayChangeRoleOf(room, membership, target)) throw fail('CANNOT_CHANGE_OWN_ROLE');
      // Making someone owner is a transfer: the store demotes the owner to admin in the same transaction.
      const { membership: updated } = await store.setRole(room.id, target.user, request.body.role, publicUser(actor));
      return { member: { ...memberAsSeenBy(me(request).id, updated), user: target.user } };
    },
  );

  r.delete(
    '/api/rooms/:roomId/members/:userId',
    {
      schema: {
        tags,
        summary: 'Remove someone from the room (owner removes anyone; admins remove members)',
        params: MemberParams,
        response: { 204: z.null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const actor = me(request);
      const { room, membership } = await authorizeRoom(store, request.params.roomId, actor.id, 'read');
      if (!mayRemoveMembers(room, membership)) {
        throw fail('FORBIDDEN', { message: 'Only the owner and admins remove members' });
      }
      const target = await memberOf(room.id, request.params.userId);
      if (!target) throw fail('NOT_A_MEMBER', { message: 'That user is not a member of this room', status: 404 });
      if (!mayRemove(room, membership, target)) {
        throw fail('FORBIDDEN', {
          message:
            target.userId === actor.id
              ? 'Use leave to leave a room'
              : `A ${membership!.role} may not remove a ${target.role}`,
        });
      }
      await store.removeMember(room.id, target.user, publicUser(actor), 'removed');
      return reply.code(204).send(null);
    },
  );
}
