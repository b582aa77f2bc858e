import type { ErrorCode } from '../errors/catalogue.js';
import type { FieldProblem } from '../errors.js';

/**
 * What a store reports when a write cannot be done. It says what went wrong in domain terms (the thing named is
 * missing, the write conflicts with what is stored, the input is not acceptable); HTTP is decided elsewhere
 * (httpErrorOf in server/http/error-handler.ts). Nothing is written when a store method throws one.
 */
export type StoreErrorKind = 'not-found' | 'conflict' | 'invalid';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export const storeErrors = {
  roomNotFound: () => new StoreError('not-found', 'ROOM_NOT_FOUND', 'Room not found'),
  userNotFound: () => new StoreError('not-found', 'USER_NOT_FOUND', 'User not found'),
  messageNotFound: () => new StoreError('not-found', 'MESSAGE_NOT_FOUND', 'Message not found'),
  notAMember: (username: string) =>
    new StoreError('not-found', 'NOT_A_MEMBER', `${username} is not a member of this room`),
  alreadyMember: (username: string) =>
    new StoreError('conflict', 'ALREADY_MEMBER', `${username} is already a member of this room`),
  usernameTaken: () =>
    new StoreError('conflict', 'USERNAME_TAKEN', 'That username is taken', [
      { path: 'username', message: 'already taken' },
    ]),
  emailTaken: () =>
    new StoreError('conflict', 'EMAIL_TAKEN', 'That email is already registered', [
      { path: 'email', message: 'already registered' },
    ]),
  badSearchCursor: () =>
    new StoreError('invalid', 'VALIDATION_FAILED', 'querystring.cursor: not a position of a search', [
      { path: 'querystring.cursor', message: 'not a position of a search' },
    ]),
  tooManyReactions: (max: number) =>
    new StoreError('conflict', 'TOO_MANY_REACTIONS', `A message takes at most ${max} different emoji`),
  tooManyPins: (max: number) => new StoreError('conflict', 'TOO_MANY_PINS', `A room has at most ${max} pins`),
  invalidAttachment: (id: string) =>
    new StoreError('invalid', 'INVALID_ATTACHMENT', 'Attach only your own unused uploads of this room', [
      { path: 'body.attachments', message: `${id} is not an unused upload of yours in this room` },
    ]),
  replyToUnknown: (seq: number) =>
    new StoreError('invalid', 'REPLY_TO_UNKNOWN', 'replyTo names no message of this room', [
      { path: 'body.replyTo', message: `no message #${seq} in this room` },
    ]),
  replyToDeleted: (seq: number) =>
    new StoreError('conflict', 'REPLY_TO_DELETED', 'The message you reply to was deleted', [
      { path: 'body.replyTo', message: `message #${seq} was deleted` },
    ]),
};
