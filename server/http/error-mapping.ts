import { AppError, fail } from '../errors.js';
import { StoreError, type StoreErrorKind } from '../store/errors.js';

const STATUS_OF_KIND: Record<StoreErrorKind, number> = { 'not-found': 404, conflict: 409, invalid: 400 };

/** The one place a store's domain error becomes HTTP: the kind decides the status, the code and message pass through. */
export function httpErrorOf(err: StoreError): AppError {
  return fail(err.code, { status: STATUS_OF_KIND[err.kind], message: err.message, details: err.details });
}

/** AppErrors pass through; StoreErrors are mapped; anything else is not a client error (null). */
export function asHttpError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof StoreError) return httpErrorOf(err);
  return null;
}
