import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { hashToken } from '../ids.js';
import type { Session, Store } from '../store/store.js';
import { ACCESS_COOKIE, REFRESH_COOKIE, type AccessTokens, type RefreshTokens } from './tokens.js';

export interface IssuedTokens {
  accessToken: string;
  accessExpiresAtMs: number;
  refreshToken: string;
  sessionExpiresAtMs: number;
}

/** Issues an access token and a fresh refresh token of `session`; neither outlives the session. */
export async function issueTokens(
  store: Store,
  tokens: { access: AccessTokens; refresh: RefreshTokens },
  config: Config,
  session: Session,
): Promise<IssuedTokens> {
  const sessionExpiresAtMs = Date.parse(session.expiresAt);
  const accessExpiresAtMs = Math.min(Date.now() + config.accessTokenTtlMs, sessionExpiresAtMs);
  const refreshToken = tokens.refresh.issue(session.id, sessionExpiresAtMs);
  await store.addRefreshToken({
    sessionId: session.id,
    tokenHash: hashToken(refreshToken),
    expiresAt: session.expiresAt,
  });
  const accessToken = tokens.access.issue(session.userId, session.id, accessExpiresAtMs);
  return { accessToken, accessExpiresAtMs, refreshToken, sessionExpiresAtMs };
}

function cookieBase(request: FastifyRequest) {
  return { httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' };
}

/** The refresh cookie is only sent to /api/auth, where it is used; the access cookie goes to every route. */
export function setAuthCookies(request: FastifyRequest, reply: FastifyReply, issued: IssuedTokens): void {
  const now = Date.now();
  reply.setCookie(ACCESS_COOKIE, issued.accessToken, {
    ...cookieBase(request),
    path: '/',
    maxAge: Math.max(1, Math.floor((issued.accessExpiresAtMs - now) / 1000)),
  });
  reply.setCookie(REFRESH_COOKIE, issued.refreshToken, {
    ...cookieBase(request),
    path: '/api/auth',
    maxAge: Math.max(1, Math.floor((issued.sessionExpiresAtMs - now) / 1000)),
  });
}

export function clearAuthCookies(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(ACCESS_COOKIE, { ...cookieBase(request), path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { ...cookieBase(request), path: '/api/auth' });
}
