import { ERRORS, type ErrorCode } from './errors/catalogue.js';
import { MESSAGE_MAX_CHARS } from './limits.js';
import { z } from 'zod';
import { ID_PATTERN } from './ids.js';
import { AVATARS, GENDERS, NOTIFY_LEVELS, ROLES, ROOM_EVENT_TYPES, ROOM_KINDS } from './store/store.js';

/** Shared zod schemas: request validation, response serialization and the OpenAPI document all come from these. */

export const Id = z.string().regex(ID_PATTERN, 'must be a 16-character id');
export const Seq = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const Username = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(32, 'must be at most 32 characters')
  .regex(/^[a-zA-Z0-9_.-]+$/, 'may contain only letters a-z, digits, "_", "." and "-"')
  .transform((s) => s.toLowerCase());

// Control characters are exactly what these patterns exist to refuse.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_NEWLINE = /[\u0000-\u001F\u007F]/;

/** Printable text: no control characters; multi-line text may hold tabs, CR and LF. */
function printable(min: number, max: number, what: string, multiline = false) {
  const forbidden = multiline ? CONTROL : CONTROL_OR_NEWLINE;
  return z
    .string()
    .refine(
      (s) => !forbidden.test(s),
      `${what} may not contain control characters${multiline ? '' : ' or line breaks'}`,
    )
    .refine((s) => [...s].length >= min, `${what} must be at least ${min} character${min === 1 ? '' : 's'}`)
    .refine((s) => [...s].length <= max, `${what} must be at most ${max} characters`);
}

export const DisplayName = printable(1, 64, 'display name')
  .transform((s) => s.trim())
  .pipe(z.string().min(1, 'display name may not be blank'));
export const RoomName = printable(1, 80, 'name')
  .transform((s) => s.trim())
  .pipe(z.string().min(1, 'name may not be blank'));
export const Topic = printable(0, 300, 'topic', true).transform((s) => s.trim());
export const MessageText = printable(1, MESSAGE_MAX_CHARS, 'text', true).refine(
  (s) => s.trim().length > 0,
  'text may not be blank',
);

export const Gender = z.enum(GENDERS);
export const Avatar = z.enum(AVATARS);

export const PublicUserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    gender: Gender,
    avatar: Avatar.nullable(),
  })
  .meta({ id: 'PublicUser' });

export const UserSchema = PublicUserSchema.extend({
  email: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'User' });

export const RoomSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    topic: z.string(),
    kind: z.enum(ROOM_KINDS),
    ownerId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSeq: z.number().int().describe('seq of the newest event in the room'),
  })
  .meta({ id: 'Room' });

export const MembershipSchema = z
  .object({
    roomId: z.string(),
    userId: z.string(),
    role: z.enum(ROLES),
    joinedAt: z.string(),
    deliveredSeq: z.number().int(),
    readSeq: z.number().int(),
    notify: z.enum(NOTIFY_LEVELS).describe('which messages notify you: all, mentions of you, or none'),
    muted: z.boolean().describe('a muted room shows no unread badge and notifies of nothing'),
  })
  .meta({ id: 'Membership' });

export const MemberSchema = MembershipSchema.extend({
  user: PublicUserSchema,
  notify: MembershipSchema.shape.notify.optional().describe('on your own entry only'),
  muted: MembershipSchema.shape.muted.optional().describe('on your own entry only'),
}).meta({ id: 'Member' });

export const RoomListEntrySchema = RoomSchema.extend({
  membership: MembershipSchema.nullable().describe('null for public rooms you can join'),
  joined: z.boolean(),
  unread: z.number().int().describe('messages by others after your read position'),
  unreadMentions: z.number().int().describe('of those, the ones that mention you (@you, @room, @here)'),
  peer: PublicUserSchema.nullable().describe('direct rooms: the other person'),
}).meta({ id: 'RoomListEntry' });

export const AttachmentSchema = z
  .object({
    id: z.string().describe('GET /api/uploads/{id} serves the image, /api/uploads/{id}/thumbnail a small WebP'),
    mediaType: z.string(),
    size: z.number().int(),
    width: z.number().int(),
    height: z.number().int(),
  })
  .meta({ id: 'Attachment' });

export const ReplyRefSchema = z
  .object({
    seq: z.number().int().describe('the message replied to'),
    author: PublicUserSchema.nullable().describe('null once the parent is deleted'),
    excerpt: z.string().nullable().describe("up to 140 characters of the parent's current text; null once deleted"),
  })
  .meta({ id: 'ReplyRef' });

export const ThreadSummarySchema = z
  .object({
    replies: z.number().int().describe('replies that are not deleted'),
    lastReplyAt: z.string().nullable(),
    participants: z.array(PublicUserSchema).describe('up to 5 repliers, the most recent first'),
  })
  .meta({ id: 'ThreadSummary' });
export const ReactionSchema = z
  .object({
    emoji: z.string(),
    count: z.number().int(),
    users: z.array(z.string()).describe('ids of the first users who reacted with it (at most 10), earliest first'),
    me: z.boolean().describe('whether you reacted with it'),
  })
  .meta({ id: 'Reaction' });

export const MessageSchema = z
  .object({
    roomId: z.string(),
    seq: z.number().int().describe('seq of the message.created event'),
    author: PublicUserSchema,
    text: z.string().nullable().describe('null once deleted'),
    attachments: z.array(AttachmentSchema),
    createdAt: z.string(),
    editedAt: z.string().nullable(),
    deletedAt: z.string().nullable(),
    clientId: z.string().nullable().describe('the key the author sent with the post (null when none)'),
    replyTo: ReplyRefSchema.nullable().describe('what this reply answers; null when not a reply'),
    threadSeq: z.number().int().nullable().describe("a reply's thread: the seq of its root; null when not a reply"),
    thread: ThreadSummarySchema.nullable().describe("a root's replies; null while it has none"),
    reactions: z.array(ReactionSchema).describe('each emoji in the order it was first used'),
    mentions: z.array(z.string()).describe('ids of the members the text names with @username'),
    mentionsRoom: z.boolean().describe('the text says @room: every member'),
    mentionsHere: z.boolean().describe('the text says @here: every member online when it was sent'),
  })
  .meta({ id: 'Message' });

export const RoomEventSchema = z
  .object({
    roomId: z.string(),
    seq: z.number().int(),
    type: z.enum(ROOM_EVENT_TYPES),
    actor: PublicUserSchema.nullable(),
    at: z.string(),
    payload: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'RoomEvent' });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

/**
 * The error responses a route can give, by status, for its OpenAPI entry. The document lists the codes each status
 * can carry: the ones that follow from the route itself (validation, bodies, authentication), else every code the
 * catalogue has for that status. Prefer errorResponses(), which names the codes.
 */
export function errors(...statuses: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}

/** A catalogued code, or a code with the status it answers with where it answers two ways (NOT_A_MEMBER). */
export type ErrorAnswer = ErrorCode | readonly [ErrorCode, number];

const declaredCodes = new WeakMap<object, ErrorCode[]>();

/**
 * The error responses of a route, named by their codes: `...errorResponses('ROOM_NOT_FOUND', 'NOT_A_MEMBER')`.
 * Each code goes under its catalogued status; the OpenAPI document lists them there, with their messages, beside
 * the codes that follow from the route itself (VALIDATION_FAILED, UNAUTHENTICATED, ...), which need no naming.
 */
export function errorResponses(...answers: ErrorAnswer[]): Record<number, typeof ErrorSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const answer of answers) {
    const [code, status] = typeof answer === 'string' ? [answer, ERRORS[answer].status] : answer;
    const codes = byStatus.get(status) ?? [];
    if (!codes.includes(code)) codes.push(code);
    byStatus.set(status, codes);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => {
      // Its own instance, the same shape, so the document can tell which codes this route declared for it.
      const schema = ErrorSchema.clone();
      declaredCodes.set(schema, codes);
      return [status, schema];
    }),
  );
}

/** The codes errorResponses() declared for one response schema of a route, if it made that schema. */
export function codesDeclaredFor(schema: unknown): ErrorCode[] | undefined {
  return typeof schema === 'object' && schema !== null ? declaredCodes.get(schema) : undefined;
}

export const RoomParams = z.object({ roomId: Id });
