import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimit } from '../config.js';
import { fail } from '../errors.js';

/**
 * Per-user limits on routes that create things (messages, rooms), with @fastify/rate-limit. The counts live in this
 * instance's memory: with N instances behind a balancer a user gets up to N times the limit, which is acceptable for
 * a ceiling on floods (the login limits, which guard secrets, are shared through the store instead).
 *
 * Registers the plugin in the calling plugin's context, off by default; a route opts in with `config: perUser(...)`.
 * The limit runs after authentication (an instance hook, so it comes first), keyed by the user.
 */
export async function registerUserRateLimits(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    // Users active within the window; past this many the least recent lose their count (and start afresh).
    cache: 50_000,
    // Ordinary responses stay as they were; a refusal says when to retry.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return fail('TOO_MANY_REQUESTS', {
        message: `Too many requests: at most ${context.max} per user in this period; try again in ${context.after}`,
        headers: { 'retry-after': String(seconds) },
        details: { max: context.max, retryAfterSeconds: seconds },
      });
    },
  });
}

const byUser = (request: FastifyRequest): string => request.user?.id ?? `ip:${request.ip}`;

/** Route config for `limit` per user (none when its max is 0). */
export function perUser(limit: RateLimit): { rateLimit: RateLimitOptions | false } {
  if (limit.max === 0) return { rateLimit: false };
  return { rateLimit: { max: limit.max, timeWindow: limit.windowMs, keyGenerator: byUser } };
}
