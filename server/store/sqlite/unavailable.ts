/**
 * SQLite result codes that mean the storage cannot take a write now, not that the request or the code is wrong:
 * the disk is full, an I/O error, a read-only or vanished file, a lock held too long. Extended codes
 * (SQLITE_IOERR_WRITE, ...) share their primary code's prefix.
 */
const UNAVAILABLE = [
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
];

export function isSqliteUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}
