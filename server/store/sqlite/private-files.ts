import { chmodSync } from 'node:fs';

/** The database and the uploads hold password hashes, private messages and images: for Parley's own user only. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Sets the mode of a file or directory that may exist from before files were private. A missing one is fine; one
 * owned by another user (EPERM) is left as the operator set it up rather than refusing to start.
 */
export function makePrivate(file: string, mode: number): void {
  try {
    chmodSync(file, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw err;
  }
}
