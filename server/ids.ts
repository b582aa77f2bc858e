import { createHash, randomBytes } from 'node:crypto';

/** A random, URL-safe, 16-character id (96 bits). */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** A random secret for tokens handed to clients (256 bits). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are high-entropy random strings, so a fast hash is the right tool (no need for bcrypt here). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function nowIso(): string {
  return new Date().toISOString();
}
