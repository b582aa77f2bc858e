/**
 * Driver errors that mean the replica set cannot take the request now (no primary reachable, the connection broke,
 * an operation timed out, an election is under way), not that the request or the code is wrong.
 */
const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoOperationTimeoutError',
  'MongoWriteConcernError',
]);

/** NotWritablePrimary, PrimarySteppedDown, InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, ... */
const UNAVAILABLE_CODES = new Set([10107, 189, 11602, 13435, 13436, 91, 11600, 262, 50, 6, 7, 89, 9001]);

export function isMongoUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; hasErrorLabel?: (label: string) => boolean };
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'number' && UNAVAILABLE_CODES.has(e.code)) return true;
  // A transaction that kept failing transiently until its retries ran out.
  return typeof e.hasErrorLabel === 'function' && e.hasErrorLabel('TransientTransactionError');
}
