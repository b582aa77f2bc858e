import t from 'tap';
import { AppError, fail } from '../../server/errors.js';
import { ERRORS } from '../../server/errors/catalogue.js';
import { asHttpError, httpErrorOf } from '../../server/http/error-mapping.js';
import { StoreError, storeErrors } from '../../server/store/errors.js';

// The one mapping from domain errors to HTTP, without a server: each store error kind has its status, and the code,
// message and field details reach the client unchanged.
const neverUnavailable = { isUnavailable: () => false };
const alwaysUnavailable = { isUnavailable: () => true };

t.test('each store error kind maps to its status, keeping code, message and details', async (t) => {
  const cases: [StoreError, number][] = [
    [storeErrors.roomNotFound(), 404],
    [storeErrors.notAMember('bob'), 404],
    [storeErrors.usernameTaken(), 409],
    [storeErrors.alreadyMember('bob'), 409],
    [storeErrors.invalidAttachment('up-1'), 400],
  ];
  for (const [err, status] of cases) {
    const http = asHttpError(err, neverUnavailable);
    t.ok(http instanceof AppError, `${err.code} becomes an AppError`);
    t.equal(http!.statusCode, status, `${err.code} is ${status}`);
    t.equal(http!.code, err.code);
    t.equal(http!.message, err.message);
    t.same(http!.details, err.details);
  }
  t.same(httpErrorOf(storeErrors.usernameTaken()).details, [{ path: 'username', message: 'already taken' }]);
});

t.test('an AppError passes through as it is', async (t) => {
  const err = fail('ROOM_NOT_FOUND', { message: 'No such room here' });
  t.equal(asHttpError(err, alwaysUnavailable), err, 'not remapped even when the store would call it unavailable');
});

t.test('a failure the store calls unavailable is 503 STORAGE_UNAVAILABLE with Retry-After', async (t) => {
  const http = asHttpError(new Error('SQLITE_FULL: database or disk is full'), alwaysUnavailable);
  t.equal(http?.statusCode, 503);
  t.equal(http?.code, 'STORAGE_UNAVAILABLE');
  t.equal(http?.message, ERRORS.STORAGE_UNAVAILABLE.message);
  t.same(http?.headers, { 'retry-after': '5' });
});

t.test('anything else is left to the error handler as a 500', async (t) => {
  t.equal(asHttpError(new Error('boom'), neverUnavailable), null);
  t.equal(asHttpError(new TypeError('x is undefined')), null, 'without a store, nothing is called unavailable');
  t.equal(asHttpError('a string'), null);
});
