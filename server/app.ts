import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import tokens from './auth/tokens.js';
import authRoutes from './auth/routes.js';
import type { Config } from './config.js';
import { asHttpError } from './http/error-mapping.js';
import messageRoutes from './messages/routes.js';
import authPlugin from './plugins/auth.js';
import openapi from './plugins/openapi.js';
import securityHeaders from './plugins/security-headers.js';
import webAssets from './plugins/web-assets.js';
import { Hub } from './realtime/hub.js';
import realtimeRoutes from './realtime/routes.js';
import roomRoutes from './rooms/routes.js';
import { UploadJanitor } from './uploads/retention.js';
import uploadRoutes from './uploads/routes.js';
import type { Store } from './store/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: Store;
    hub: Hub;
    uploadJanitor: UploadJanitor;
  }
}

export interface BuildOptions {
  config: Config;
  store: Store;
  /** Pino options or false; defaults to the configured level. */
  logger?: boolean | object;
}

/** Request bodies are JSON chat payloads; 64 KiB is far above the largest valid one (4000 characters of text). */
const BODY_LIMIT = 64 * 1024;

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_ERR_BAD_URL: 'BAD_URL',
};

/** Builds the app without listening: tests inject or listen on port 0 themselves. */
export async function buildApp({ config, store, logger }: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? {
      level: config.logLevel,
      // Credentials never reach the logs.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    routerOptions: { maxParamLength: 200 },
    forceCloseConnections: true,
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('config', config);
  app.decorate('store', store);
  const hub = new Hub(store, {
    heartbeatMs: config.heartbeatMs,
    replayLimit: config.replayLimit,
    maxQueueBytes: config.sseMaxQueueBytes,
    presenceGraceMs: config.presenceGraceMs,
    log: app.log,
  });
  app.decorate('hub', hub);
  hub.start();
  // Streams end before the server stops waiting for open connections.
  app.addHook('preClose', () => hub.stop());

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = asHttpError(err);
    if (known) {
      if (known.headers) reply.headers(known.headers);
      return reply.code(known.statusCode).send({ error: { code: known.code, message: known.message, details: known.details } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const details = err.validation.map((v) => {
        const path = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        return { path, message: v.message };
      });
      const first = details[0];
      return reply.code(400).send({
        error: { code: 'VALIDATION_FAILED', message: first ? `${first.path}: ${first.message}` : 'Invalid request', details },
      });
    }
    if (isResponseSerializationError(err)) {
      request.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'Internal error' } });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = FASTIFY_CODES[err.code] ?? 'BAD_REQUEST';
      return reply.code(status).send({ error: { code, message: err.message } });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'Internal error' } });
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
  });

  await app.register(cookie);
  await app.register(tokens, { secret: config.jwtSecret });
  await app.register(securityHeaders);
  await app.register(authPlugin);
  await app.register(openapi);

  app.get('/api/health', { config: { public: true }, schema: { tags: ['meta'], summary: 'Liveness and store' } }, async () => ({
    status: 'ok',
    store: store.kind,
    feed: store.feed.live ? 'live' : 'down',
    streams: hub.size,
  }));

  await app.register(authRoutes);
  await app.register(roomRoutes);
  await app.register(messageRoutes);
  await app.register(realtimeRoutes);
  await app.register(uploadRoutes);
  const janitor = new UploadJanitor(store, config.uploads.retentionMs, app.log);
  app.decorate('uploadJanitor', janitor);
  janitor.start();
  app.addHook('onClose', async () => janitor.stop());
  await app.register(webAssets);
  return app;
}
