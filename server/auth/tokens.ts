import { createSigner, createVerifier } from 'fast-jwt';

export interface AccessClaims {
  /** user id */
  sub: string;
  /** session id: the refresh-token family this access token belongs to */
  sid: string;
  /** expiry, seconds since the epoch */
  exp: number;
}

/** Short-lived access JWTs (HS256). Expiry never passes the session's end. */
export class AccessTokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => AccessClaims;

  constructor(secret: string) {
    this.sign = createSigner({ key: secret, algorithm: 'HS256', iss: 'parley' }) as (p: Record<string, unknown>) => string;
    this.verify = createVerifier({ key: secret, algorithms: ['HS256'], allowedIss: 'parley', clockTolerance: 0 }) as (t: string) => AccessClaims;
  }

  issue(userId: string, sessionId: string, expiresAtMs: number): string {
    return this.sign({ sub: userId, sid: sessionId, exp: Math.floor(expiresAtMs / 1000) });
  }

  /** The claims of a valid, unexpired token, or null. */
  check(token: string): AccessClaims | null {
    try {
      const claims = this.verify(token);
      if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.exp !== 'number') return null;
      return claims;
    } catch {
      return null;
    }
  }
}

/** Personal API tokens are recognisable by prefix so Bearer values can be routed without trying both kinds. */
export const API_TOKEN_PREFIX = 'pt_';
