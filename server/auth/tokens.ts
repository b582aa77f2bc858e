import { createHmac } from 'node:crypto';
import fastifyJwt, { type JWT } from '@fastify/jwt';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { newSecret } from '../ids.js';
import type { User } from '../store/store.js';

export const ACCESS_COOKIE = 'parley_access';
export const REFRESH_COOKIE = 'parley_refresh';

/** Personal API tokens are recognisable by prefix so Bearer values can be routed without trying both kinds. */
export const API_TOKEN_PREFIX = 'pt_';

export interface AccessClaims {
  /** user id */
  sub: string;
  /** session id: the refresh-token family this access token belongs to */
  sid: string;
  /** expiry, seconds since the epoch */
  exp: number;
}

export interface RefreshClaims {
  /** session id */
  sid: string;
  /** expiry, seconds since the epoch (the session's end) */
  exp: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    namespaces: 'access' | 'refresh';
    // request.user is the auth plugin's; the JWT plugins write their claims to request.jwtClaims instead.
    user: User | null;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokens;
    refreshTokens: RefreshTokens;
  }
  interface FastifyRequest {
    /** The refresh cookie's verified claims (rejects a missing, forged or expired cookie). */
    refreshJwtVerify(): Promise<RefreshClaims>;
  }
}

const ISSUER = 'parley';

/** Short-lived access JWTs (HS256). Expiry never passes the session's end. */
export class AccessTokens {
  constructor(private readonly jwt: JWT) {}

  issue(userId: string, sessionId: string, expiresAtMs: number): string {
    return this.jwt.sign({ sub: userId, sid: sessionId, exp: Math.floor(expiresAtMs / 1000) });
  }

  /** The claims of a valid, unexpired token, or null. */
  check(token: string): AccessClaims | null {
    try {
      const claims = this.jwt.verify<AccessClaims>(token);
      if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.exp !== 'number')
        return null;
      return claims;
    } catch {
      return null;
    }
  }
}

/**
 * Refresh tokens are JWTs too, so a forged or expired cookie is refused before the store is asked. Each carries a
 * random jti: the store keeps only its hash, which is what makes it single-use (rotation and reuse detection).
 */
export class RefreshTokens {
  constructor(private readonly jwt: JWT) {}

  issue(sessionId: string, expiresAtMs: number): string {
    return this.jwt.sign({ sid: sessionId, jti: newSecret(), exp: Math.floor(expiresAtMs / 1000) });
  }

  check(token: string): RefreshClaims | null {
    try {
      const claims = this.jwt.verify<RefreshClaims>(token);
      return typeof claims.sid === 'string' && typeof claims.exp === 'number' ? claims : null;
    } catch {
      return null;
    }
  }
}

async function tokensPlugin(app: FastifyInstance, opts: { secret: string }): Promise<void> {
  const sign = { algorithm: 'HS256' as const, iss: ISSUER };
  const verify = { algorithms: ['HS256' as const], allowedIss: ISSUER, clockTolerance: 0 };
  await app.register(fastifyJwt, {
    namespace: 'access',
    decoratorName: 'jwtClaims',
    secret: opts.secret,
    sign,
    verify,
  });
  await app.register(fastifyJwt, {
    namespace: 'refresh',
    decoratorName: 'jwtClaims',
    // A key of its own: an access token can never pass as a refresh token, nor the other way round.
    secret: createHmac('sha256', opts.secret).update('parley refresh token').digest('base64url'),
    sign,
    verify: { ...verify, onlyCookie: true },
    cookie: { cookieName: REFRESH_COOKIE, signed: false },
  });
  app.decorate('accessTokens', new AccessTokens(app.jwt.access));
  app.decorate('refreshTokens', new RefreshTokens(app.jwt.refresh));
}

export default fp(tokensPlugin, { name: 'parley-tokens', dependencies: ['@fastify/cookie'] });
