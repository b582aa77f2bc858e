import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { codesOfAnyRequest, documentErrorCodes } from '../http/openapi-errors.js';

/** OpenAPI generated from the route schemas; the document at /docs/json, a browsable UI at /docs. */
async function openapi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Parley',
        version: '0.1.0',
        description:
          'Group chat: post messages over HTTP, receive them live over Server-Sent Events. ' +
          'Authenticate with the cookies set by /api/auth/login (browsers) or `Authorization: Bearer <access token | API token>` (scripts).' +
          '\n\nEvery error is `{ "error": { "code", "message", "details"? } }`. Each operation lists the codes of ' +
          `its error responses; any request may also meet ${codesOfAnyRequest()}.`,
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An access token from /api/auth/login, or a personal API token (pt_...)',
          },
          cookie: { type: 'apiKey', in: 'cookie', name: 'parley_access' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    // Each route's error responses list the codes they can carry (http/openapi-errors.ts).
    transform: (input) => documentErrorCodes(input, jsonSchemaTransform(input)),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(openapi, { name: 'parley-openapi' });
