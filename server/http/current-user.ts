import type { FastifyRequest } from 'fastify';
import { fail } from '../errors.js';
import type { User } from '../store/store.js';

/** The authenticated user of a route that is not public (the auth hook guarantees one; this refuses otherwise). */
export function me(request: FastifyRequest): User {
  if (!request.user) throw fail('UNAUTHENTICATED', { message: 'Sign in or send a Bearer token' });
  return request.user;
}
