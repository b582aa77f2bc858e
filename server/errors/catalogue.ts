/**
 * Every error code the API answers with, its HTTP status and its default message. The server throws from this
 * list (server/errors.ts), the web client imports it, and the OpenAPI document lists each route's codes from it.
 * This module imports nothing, so the browser bundle can include it.
 *
 * The status is the code's usual one. NOT_A_MEMBER is the one code that answers two ways: 403 when the caller must
 * join first, 404 when the member a request names is not in the room (the throw site says so).
 */
export const ERRORS = {
  // 400: the request is malformed or breaks a rule about its own content
  VALIDATION_FAILED: { status: 400, message: 'Invalid request' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  BAD_URL: { status: 400, message: 'Malformed URL' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON' },
  EMPTY_BODY: { status: 400, message: 'The body is empty' },
  BAD_CONTENT_LENGTH: { status: 400, message: 'Content-Length does not match the body' },
  BAD_MULTIPART: { status: 400, message: 'Malformed multipart body' },
  NO_FILE: { status: 400, message: 'No file in the request' },
  EMPTY_FILE: { status: 400, message: 'The file is empty' },
  ONE_FILE: { status: 400, message: 'Send exactly one file and no other fields' },
  INVALID_ATTACHMENT: { status: 400, message: 'Attach only your own unused uploads of this room' },
  BAD_LAST_EVENT_ID: { status: 400, message: 'Last-Event-ID is not a position this server issued' },
  WEAK_PASSWORD: { status: 400, message: 'The password is too weak' },
  WRONG_PASSWORD: { status: 400, message: 'The current password is not correct' },
  DM_SELF: { status: 400, message: 'A direct conversation needs someone else' },
  CANNOT_CHANGE_OWN_ROLE: { status: 400, message: 'Make someone else owner to step down' },
  REPLY_TO_UNKNOWN: { status: 400, message: 'replyTo names no message of this room' },

  // 401: who is asking is unknown
  UNAUTHENTICATED: { status: 401, message: 'Sign in, or send a valid Bearer access token or API token' },
  BAD_AUTHORIZATION: { status: 401, message: 'Authorization must be "Bearer <token>"' },
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong username/email or password' },
  NO_REFRESH_TOKEN: { status: 401, message: 'No refresh cookie; sign in again' },
  INVALID_REFRESH_TOKEN: { status: 401, message: 'Session expired or ended; sign in again' },
  REFRESH_TOKEN_REUSED: { status: 401, message: 'This refresh token was already used; the session has ended' },

  // 403: known, but not allowed
  FORBIDDEN: { status: 403, message: 'You may not do that' },
  NOT_A_MEMBER: { status: 403, message: 'Join the room first' },
  NOT_AUTHOR: { status: 403, message: 'Only the author may do that' },
  PIN_FORBIDDEN: { status: 403, message: 'Only the owner or an admin pins messages' },
  SESSION_REQUIRED: { status: 403, message: 'API tokens are managed from a signed-in session, not with an API token' },
  CROSS_ORIGIN: { status: 403, message: 'Cookie-authenticated requests must come from the Parley origin' },

  // 404: what was named does not exist (or may not be seen)
  NOT_FOUND: { status: 404, message: 'Not found' },
  ROOM_NOT_FOUND: { status: 404, message: 'Room not found' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'Message not found' },
  USER_NOT_FOUND: { status: 404, message: 'User not found' },
  UPLOAD_NOT_FOUND: { status: 404, message: 'No such image' },
  TOKEN_NOT_FOUND: { status: 404, message: 'No such token' },
  THREAD_NOT_FOUND: { status: 404, message: 'No thread starts at this message' },

  // 409: conflicts with what is stored
  USERNAME_TAKEN: { status: 409, message: 'That username is taken' },
  EMAIL_TAKEN: { status: 409, message: 'That email is already registered' },
  ALREADY_MEMBER: { status: 409, message: 'Already a member of this room' },
  OWNER_CANNOT_LEAVE: {
    status: 409,
    message: 'Transfer ownership (make someone else owner) or delete the room before leaving',
  },
  DIRECT_ROOM: { status: 409, message: 'A direct conversation cannot be left' },
  REPLY_TO_DELETED: { status: 409, message: 'The message you reply to was deleted' },
  TOO_MANY_REACTIONS: { status: 409, message: 'This message has as many different emoji as it can take' },
  TOO_MANY_PINS: { status: 409, message: 'This room has as many pins as it can take; unpin one first' },

  // 408, 413, 414, 415, 422, 431: the request itself
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  IMAGE_TOO_LARGE: { status: 413, message: 'The image has too many pixels' },
  UPLOAD_QUOTA_EXCEEDED: { status: 413, message: 'Your unused uploads have reached your quota' },
  URI_TOO_LONG: { status: 414, message: 'A path segment is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported media type' },
  INVALID_IMAGE: { status: 422, message: 'The image could not be read' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },

  // 429: slow down
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed sign-ins' },
  TOO_MANY_STREAMS: { status: 429, message: 'Too many open streams; close one first' },

  // 5xx
  INTERNAL: { status: 500, message: 'Internal error' },
  STORAGE_UNAVAILABLE: { status: 503, message: 'Storage is unavailable; try again shortly' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down; try again shortly' },
  IMAGES_BUSY: { status: 503, message: 'Too many images are being processed; try again shortly' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}
