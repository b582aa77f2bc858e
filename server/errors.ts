import { ERRORS, type ErrorCode } from './errors/catalogue.js';

export { ERRORS, type ErrorCode } from './errors/catalogue.js';

/** A failure with an HTTP status and a catalogued code; rendered as { error: { code, message, details } }. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface FailOptions {
  /** Overrides the catalogue's message, for one that names the thing at hand. */
  message?: string;
  details?: unknown;
  headers?: Record<string, string>;
  /** Only where a code answers two ways (see the catalogue). */
  status?: number;
}

/** The HTTP error for a catalogued code: `throw fail('ROOM_NOT_FOUND')`. */
export function fail(code: ErrorCode, options: FailOptions = {}): AppError {
  const entry = ERRORS[code];
  return new AppError(
    options.status ?? entry.status,
    code,
    options.message ?? entry.message,
    options.details,
    options.headers,
  );
}

export interface FieldProblem {
  path: string;
  message: string;
}
