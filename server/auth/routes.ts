import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../errors.js';
import { hashToken, newSecret, nowIso } from '../ids.js';
import { me } from '../http/current-user.js';
import { ACCESS_COOKIE, REFRESH_COOKIE, assertSameOrigin } from '../plugins/auth.js';
import { publicUser } from '../users/public-user.js';
import { Avatar, ErrorSchema, Gender, Id, UserSchema, Username, errors } from '../schemas.js';
import { DisplayName } from './display-name.js';
import { AttemptLimiter, isRefused } from './login-limiter.js';
import { StrengthBusy, burnPasswordCheck, hashPassword, passwordWeakness, verifyPassword } from './passwords.js';
import { clearAuthCookies, issueTokens, setAuthCookies } from './sessions.js';
import { API_TOKEN_PREFIX } from './tokens.js';

/** bcrypt reads at most 72 bytes; longer passwords would silently lose their tail, so they are refused. */
const Password = z
  .string()
  .min(1, 'is required')
  .refine((s) => Buffer.byteLength(s) <= 72, 'must be at most 72 bytes');

const TokenGrant = z.object({
  accessToken: z.string().describe('JWT for Authorization: Bearer; also set as an HttpOnly cookie'),
  expiresAt: z.string().describe('when the access token expires'),
});

async function requireStrong(password: string, userInputs: string[], field: string): Promise<void> {
  const weakness = await passwordWeakness(password, userInputs).catch((err: unknown) => {
    if (!(err instanceof StrengthBusy)) throw err;
    const message = 'Too many password checks at once; try again shortly';
    throw fail('TOO_MANY_REQUESTS', { message, headers: { 'retry-after': '2' } });
  });
  if (weakness)
    throw fail('WEAK_PASSWORD', { message: `Password ${weakness}`, details: [{ path: field, message: weakness }] });
}

export default async function authRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store, config, accessTokens, refreshTokens, hub } = app;
  const tokens = { access: accessTokens, refresh: refreshTokens };
  // Per account *and* IP: failures from one address never lock the owner out elsewhere. Per IP: guesses spread
  // over many accounts.
  const { login: limits, register } = config;
  const { maxFailuresPerAccount, maxFailuresPerIp, windowMs } = limits;
  const perAccount = new AttemptLimiter(store.failures, 'login-account:', maxFailuresPerAccount, windowMs);
  const perIp = new AttemptLimiter(store.failures, 'login-ip:', maxFailuresPerIp, windowMs);
  const registrations = new AttemptLimiter(store.failures, 'register-ip:', register.maxPerIp, register.windowMs);
  const tooMany = (code: 'TOO_MANY_REQUESTS' | 'TOO_MANY_ATTEMPTS', what: string, wait: number) =>
    fail(code, { message: `${what}; try again in ${wait} s`, headers: { 'retry-after': String(wait) } });

  r.post(
    '/api/auth/register',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Create an account',
        body: z.object({
          username: Username,
          email: z
            .email('must be a valid email address')
            .max(254)
            .transform((s) => s.toLowerCase()),
          password: Password,
          displayName: DisplayName.optional(),
          gender: Gender.optional(),
          avatar: Avatar.nullable().optional(),
        }),
        response: { 201: z.object({ user: UserSchema }), ...errors(400, 409, 429) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // Every attempt counts, refused ones too: each costs a strength check, and accepted ones a bcrypt hash.
      const slot = await registrations.reserve(request.ip);
      if (isRefused(slot)) {
        throw tooMany('TOO_MANY_REQUESTS', 'Too many registrations from this address', slot.retryAfter);
      }
      await requireStrong(
        body.password,
        [body.username, body.email, body.email.split('@')[0]!, body.displayName ?? ''],
        'password',
      );
      const user = await store.createUser({
        username: body.username,
        email: body.email,
        passwordHash: await hashPassword(body.password, config.bcryptRounds),
        displayName: body.displayName ?? body.username,
        gender: body.gender ?? 'unspecified',
        avatar: body.avatar ?? null,
      });
      request.log.info({ userId: user.id }, 'user registered');
      return reply.code(201).send({ user });
    },
  );

  r.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with username or email; sets the access and refresh cookies',
        body: z.object({ login: z.string().trim().min(1).max(254), password: z.string().min(1).max(1000) }),
        response: { 200: TokenGrant.extend({ user: UserSchema }), ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { login, password } = request.body;
      // The attempt is counted before the password is checked, so parallel guesses cannot all slip in under the limit.
      const ipSlot = await perIp.reserve(request.ip);
      if (isRefused(ipSlot)) throw tooMany('TOO_MANY_ATTEMPTS', 'Too many failed sign-ins', ipSlot.retryAfter);
      const found = await store.findUserForLogin(login.toLowerCase());
      // Keyed by the account (its username and email share one budget) and the address it is tried from.
      const accountKey = `${found ? found.id : login.toLowerCase()}|${request.ip}`;
      const accountSlot = await perAccount.reserve(accountKey);
      if (isRefused(accountSlot)) {
        await perIp.refund(ipSlot);
        throw tooMany('TOO_MANY_ATTEMPTS', 'Too many failed sign-ins', accountSlot.retryAfter);
      }
      const ok = found
        ? await verifyPassword(password, found.passwordHash)
        : (await burnPasswordCheck(password, config.bcryptRounds), false);
      // A failure keeps both reservations: they are the failure counts.
      if (!found || !ok) throw fail('INVALID_CREDENTIALS');
      await Promise.all([perIp.refund(ipSlot), perAccount.clear(accountKey)]);
      const { passwordHash: _hash, ...user } = found;
      const session = await store.createSession({
        userId: user.id,
        expiresAt: new Date(Date.now() + config.sessionTtlMs).toISOString(),
      });
      const issued = await issueTokens(store, tokens, config, session);
      setAuthCookies(request, reply, issued);
      request.log.info({ userId: user.id, sessionId: session.id }, 'signed in');
      return { user, accessToken: issued.accessToken, expiresAt: new Date(issued.accessExpiresAtMs).toISOString() };
    },
  );

  r.post(
    '/api/auth/refresh',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Rotate the refresh cookie and get a new access token',
        description: 'A refresh token works once. Using a spent one again revokes the whole session.',
        response: { 200: TokenGrant, ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const refresh = request.cookies[REFRESH_COOKIE];
      if (!refresh) throw fail('NO_REFRESH_TOKEN');
      assertSameOrigin(request);
      const claims = await request.refreshJwtVerify().catch(() => null);
      const used = claims
        ? await store.useRefreshToken(hashToken(refresh), nowIso())
        : ({ status: 'invalid' } as const);
      if (used.status !== 'ok') {
        clearAuthCookies(request, reply);
        if (used.status === 'reused') {
          hub.closeSession(used.sessionId);
          request.log.warn({ sessionId: used.sessionId }, 'refresh token reused; session revoked');
          throw fail('REFRESH_TOKEN_REUSED', {
            message: 'This refresh token was already used; the session has been ended',
          });
        }
        throw fail('INVALID_REFRESH_TOKEN');
      }
      const issued = await issueTokens(store, tokens, config, used.session);
      setAuthCookies(request, reply, issued);
      return { accessToken: issued.accessToken, expiresAt: new Date(issued.accessExpiresAtMs).toISOString() };
    },
  );

  r.post(
    '/api/auth/logout',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'End the session and clear the cookies',
        response: { 204: z.null(), ...errors(403) },
      },
    },
    async (request, reply) => {
      const refresh = request.cookies[REFRESH_COOKIE];
      const accessCookie = request.cookies[ACCESS_COOKIE];
      const bearer = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1];
      if (!bearer && (refresh || accessCookie)) assertSameOrigin(request);
      const sessionIds = new Set<string>();
      for (const token of [bearer, accessCookie]) {
        const claims = token ? accessTokens.check(token) : null;
        if (claims) sessionIds.add(claims.sid);
      }
      if (refresh && refreshTokens.check(refresh)) {
        const used = await store.useRefreshToken(hashToken(refresh), nowIso());
        if (used.status === 'ok') sessionIds.add(used.session.id);
      }
      for (const id of sessionIds) {
        await store.revokeSession(id);
        hub.closeSession(id);
      }
      clearAuthCookies(request, reply);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/me',
    {
      schema: {
        tags: ['account'],
        summary: 'The signed-in user',
        response: { 200: z.object({ user: UserSchema }), ...errors(401) },
      },
    },
    async (request) => ({ user: me(request) }),
  );

  r.patch(
    '/api/me',
    {
      schema: {
        tags: ['account'],
        summary: 'Update your profile; changing the password needs the current one and ends your other sessions',
        body: z
          .object({
            displayName: DisplayName.optional(),
            gender: Gender.optional(),
            avatar: Avatar.nullable().optional(),
            currentPassword: z.string().max(1000).optional(),
            newPassword: Password.optional(),
          })
          .refine((b) => Object.values(b).some((v) => v !== undefined), 'nothing to change')
          .refine((b) => b.newPassword === undefined || b.currentPassword !== undefined, {
            path: ['currentPassword'],
            message: 'is required to change the password',
          }),
        response: { 200: z.object({ user: UserSchema }), ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      const user = me(request);
      const { currentPassword, newPassword, ...profile } = request.body;
      let passwordHash: string | undefined;
      if (newPassword !== undefined) {
        const secret = await store.getUserSecret(user.id);
        if (!secret || !(await verifyPassword(currentPassword ?? '', secret.passwordHash))) {
          throw fail('WRONG_PASSWORD', { details: [{ path: 'currentPassword', message: 'is not correct' }] });
        }
        await requireStrong(newPassword, [user.username, user.email, user.displayName], 'newPassword');
        passwordHash = await hashPassword(newPassword, config.bcryptRounds);
      }
      const updated = await store.updateUser(user.id, { ...profile, passwordHash });
      if (Object.values(profile).some((v) => v !== undefined)) await store.announceProfile(publicUser(updated));
      if (passwordHash) {
        const revoked = await store.revokeUserSessions(user.id, request.auth?.sessionId ?? undefined);
        for (const id of revoked) hub.closeSession(id);
        hub.closeApiTokenStreams(user.id);
      }
      return { user: updated };
    },
  );

  const ApiTokenSchema = z.object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  });
  const sessionOnly = (request: { auth: { kind: string } | null }) => {
    if (request.auth?.kind !== 'access') throw fail('SESSION_REQUIRED');
  };

  r.post(
    '/api/tokens',
    {
      schema: {
        tags: ['account'],
        summary: 'Create a personal API token for scripts (shown once)',
        body: z.object({ name: z.string().trim().min(1).max(64) }),
        response: {
          201: ApiTokenSchema.extend({ token: z.string().describe('send as Authorization: Bearer <token>') }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      sessionOnly(request);
      const token = API_TOKEN_PREFIX + newSecret();
      const created = await store.createApiToken({
        userId: me(request).id,
        name: request.body.name,
        tokenHash: hashToken(token),
      });
      const { userId: _u, ...rest } = created;
      return reply.code(201).send({ ...rest, token });
    },
  );

  r.get(
    '/api/tokens',
    {
      schema: {
        tags: ['account'],
        summary: 'Your API tokens (never the secret)',
        response: { 200: z.object({ tokens: z.array(ApiTokenSchema) }), ...errors(401) },
      },
    },
    async (request) => ({
      tokens: (await store.listApiTokens(me(request).id)).map(({ userId: _u, ...t }) => t),
    }),
  );

  r.delete(
    '/api/tokens/:tokenId',
    {
      schema: {
        tags: ['account'],
        summary: 'Revoke an API token',
        params: z.object({ tokenId: Id }),
        response: { 204: z.null(), 404: ErrorSchema, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      sessionOnly(request);
      if (!(await store.deleteApiToken(me(request).id, request.params.tokenId))) throw fail('TOKEN_NOT_FOUND');
      hub.closeApiToken(request.params.tokenId);
      return reply.code(204).send(null);
    },
  );
}
