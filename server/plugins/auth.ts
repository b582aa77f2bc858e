import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ACCESS_COOKIE, API_TOKEN_PREFIX } from '../auth/tokens.js';
import { fail } from '../errors.js';
import { hashToken, nowIso } from '../ids.js';
import type { User } from '../store/store.js';

export { ACCESS_COOKIE, REFRESH_COOKIE } from '../auth/tokens.js';

export interface AuthInfo {
  kind: 'access' | 'api-token';
  via: 'cookie' | 'bearer';
  /** The login session (refresh-token family) behind an access token. */
  sessionId: string | null;
  /** The personal API token used (its id), so revoking it can end what it opened. */
  apiTokenId: string | null;
  /** When the credential stops being valid (ms since epoch); null for API tokens, which last until deleted. */
  expiresAtMs: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
    auth: AuthInfo | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without credentials. */
    public?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A cookie-authenticated unsafe request must come from our own origin: browsers send Origin on every cross-site POST,
 * and Sec-Fetch-Site on every request from modern engines. A request with neither cannot prove where it came from.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === `${request.protocol}://${request.host}`;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  return false;
}

export function assertSameOrigin(request: FastifyRequest): void {
  if (!isSameOrigin(request)) throw fail('CROSS_ORIGIN');
}

async function authenticate(
  app: FastifyInstance,
  request: FastifyRequest,
): Promise<{ user: User; auth: AuthInfo } | null> {
  const header = request.headers.authorization;
  let token: string | undefined;
  let via: AuthInfo['via'];
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw fail('BAD_AUTHORIZATION');
    token = m[1]!;
    via = 'bearer';
  } else {
    token = request.cookies[ACCESS_COOKIE];
    via = 'cookie';
  }
  if (!token) return null;

  if (via === 'bearer' && token.startsWith(API_TOKEN_PREFIX)) {
    const apiToken = await app.store.useApiToken(hashToken(token), nowIso());
    if (!apiToken) return null;
    const user = await app.store.getUser(apiToken.userId);
    if (!user) return null;
    return { user, auth: { kind: 'api-token', via, sessionId: null, apiTokenId: apiToken.id, expiresAtMs: null } };
  }

  const claims = app.accessTokens.check(token);
  if (!claims) return null;
  // Logout and refresh-token reuse revoke the session; its access tokens stop working at once, not at expiry.
  const session = await app.store.getSession(claims.sid);
  if (!session || session.revokedAt || session.userId !== claims.sub || Date.parse(session.expiresAt) <= Date.now())
    return null;
  const user = await app.store.getUser(claims.sub);
  if (!user) return null;
  const expiresAtMs = claims.exp * 1000;
  return { user, auth: { kind: 'access', via, sessionId: session.id, apiTokenId: null, expiresAtMs } };
}

async function authPlugin(app: FastifyInstance): Promise<void> {
  app.decorateRequest('user', null);
  app.decorateRequest('auth', null);

  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    // Decided on the route the router matched, not the raw URL: the router decodes the path, so /%61pi/me reaches
    // the /api/me handler. Unknown routes fall through to the 404 handler without asking for credentials.
    const route = request.routeOptions.url;
    if (route === undefined || !route.startsWith('/api/') || request.routeOptions.config.public) return;
    const result = await authenticate(app, request);
    if (!result) throw fail('UNAUTHENTICATED');
    if (result.auth.via === 'cookie' && !SAFE_METHODS.has(request.method)) assertSameOrigin(request);
    request.user = result.user;
    request.auth = result.auth;
  });
}

export default fp(authPlugin, { name: 'parley-auth', dependencies: ['@fastify/cookie', 'parley-tokens'] });
