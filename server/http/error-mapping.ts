import { AppError, fail } from '../errors.js';
import { StoreError, type StoreErrorKind } from '../store/errors.js';
import type { Store } from '../store/store.js';

const STATUS_OF_KIND: Record<StoreErrorKind, number> = { 'not-found': 404, conflict: 409, invalid: 400 };

/** The one place a store's domain error becomes HTTP: the kind decides the status; code and message pass through. */
export function httpErrorOf(err: StoreError): AppError {
  return fail(err.code, { status: STATUS_OF_KIND[err.kind], message: err.message, details: err.details });
}

/** How long a client should wait before retrying a write that met unavailable storage. */
const RETRY_AFTER_S = 5;

/**
 * AppErrors pass through; StoreErrors are mapped; a failure the store calls "unavailable" (disk full, no primary) is
 * 503 STORAGE_UNAVAILABLE with Retry-After, so clients retry instead of reporting a bug; anything else is null.
 */
export function asHttpError(err: unknown, store?: Pick<Store, 'isUnavailable'>): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof StoreError) return httpErrorOf(err);
  if (store?.isUnavailable(err))
    return fail('STORAGE_UNAVAILABLE', { headers: { 'retry-after': String(RETRY_AFTER_S) } });
  return null;
}
