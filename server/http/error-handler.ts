import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { ErrorCode } from '../errors.js';
import { asHttpError } from './error-mapping.js';

/** Fastify's own client errors, by their code, as catalogued codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_ERR_BAD_URL: 'BAD_URL',
};

/** Every error a route throws, and every unknown route, answers `{ error: { code, message, details? } }`. */
async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = asHttpError(err, app.store);
    if (known) {
      if (known.headers) reply.headers(known.headers);
      return reply
        .code(known.statusCode)
        .send({ error: { code: known.code, message: known.message, details: known.details } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const details = err.validation.map((v) => {
        const path = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        return { path, message: v.message };
      });
      const first = details[0];
      return reply.code(400).send({
        error: {
          code: 'VALIDATION_FAILED',
          message: first ? `${first.path}: ${first.message}` : 'Invalid request',
          details,
        },
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
    return reply
      .code(404)
      .send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
  });
}

export default fp(errorHandler, { name: 'parley-error-handler', dependencies: ['parley-store'] });
