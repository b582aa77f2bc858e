import type { ApiToken, Attachment, Membership, Message, PublicUser, Room, Session } from '../store.js';
import type { Upload, User, UserWithSecret } from '../store.js';
import type { ApiTokenDoc, MembershipDoc, MessageDoc, RoomDoc, SessionDoc, UploadDoc, UserDoc } from './models.js';

/** Documents to domain objects: BSON Dates become ISO strings, `_id`s become `id`s, absent optionals become null. */

export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Stored event data is exactly what JSON would carry (no undefined fields), as clients and the SQLite store see it. */
export const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function toPublicUser(u: UserDoc): PublicUser {
  return { id: u._id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar ?? null };
}

export function toUser(u: UserDoc): User {
  return { ...toPublicUser(u), email: u.email, createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt) };
}

export function toUserWithSecret(u: UserDoc): UserWithSecret {
  return { ...toUser(u), passwordHash: u.passwordHash };
}

export function toRoom(r: RoomDoc): Room {
  return {
    id: r._id,
    name: r.name,
    topic: r.topic,
    kind: r.kind,
    ownerId: r.ownerId,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    lastSeq: r.lastSeq,
  };
}

export function toMembership(m: MembershipDoc): Membership {
  return {
    roomId: m.roomId,
    userId: m.userId,
    role: m.role,
    joinedAt: iso(m.joinedAt),
    deliveredSeq: m.deliveredSeq,
    readSeq: m.readSeq,
    notify: m.notify ?? 'mentions',
    muted: m.muted ?? false,
  };
}

export function toSession(s: SessionDoc): Session {
  return {
    id: s._id,
    userId: s.userId,
    createdAt: iso(s.createdAt),
    expiresAt: iso(s.expiresAt),
    revokedAt: isoOrNull(s.revokedAt),
  };
}

export function toApiToken(t: ApiTokenDoc): ApiToken {
  return {
    id: t._id,
    userId: t.userId,
    name: t.name,
    createdAt: iso(t.createdAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
  };
}

export function toAttachment(a: Attachment): Attachment {
  return { id: a.id, mediaType: a.mediaType, size: a.size, width: a.width, height: a.height };
}

export function toUpload(u: UploadDoc): Upload {
  const attachment = toAttachment({ ...u, id: u._id });
  const owner = { ownerId: u.ownerId, roomId: u.roomId };
  return { ...attachment, ...owner, messageSeq: u.messageSeq ?? null, createdAt: iso(u.createdAt) };
}

/** `thread` is what only the caller can resolve: the parent a reply quotes, the root's participants. */
export function toMessage(m: MessageDoc, author: PublicUser, thread: Pick<Message, 'replyTo' | 'thread'>): Message {
  return {
    roomId: m.roomId,
    seq: m.seq,
    author,
    text: m.text ?? null,
    attachments: (m.attachments ?? []).map(toAttachment),
    createdAt: iso(m.createdAt),
    editedAt: isoOrNull(m.editedAt),
    deletedAt: isoOrNull(m.deletedAt),
    clientId: m.clientId ?? null,
    replyTo: thread.replyTo,
    threadSeq: m.threadSeq ?? null,
    thread: thread.thread,
    mentions: m.mentions ?? [],
    mentionsRoom: m.mentionsRoom ?? false,
    mentionsHere: m.mentionsHere ?? false,
  };
}

/** E11000: a unique index refused the write; keyPattern names the index's fields. */
export function duplicateKey(err: unknown): { keyPattern: Record<string, unknown>; message: string } | null {
  const e = err as { code?: unknown; keyPattern?: Record<string, unknown>; message?: string } | null;
  if (typeof e !== 'object' || e === null || e.code !== 11000) return null;
  return { keyPattern: e.keyPattern ?? {}, message: String(e.message ?? '') };
}
