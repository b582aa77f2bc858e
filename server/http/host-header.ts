import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { fail } from '../errors.js';

/**
 * HTTP/1.1 requires a Host header. Node can refuse a request without one itself, but with an empty body; the
 * check lives here instead (the server is created with `requireHostHeader: false`) so the answer is the envelope.
 */
async function hostHeader(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request) => {
    const raw = request.raw;
    if (raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1 && raw.headers.host === undefined) {
      throw fail('BAD_REQUEST', {
        message: 'HTTP/1.1 requests must send a Host header',
        headers: { connection: 'close' },
      });
    }
  });
}

export default fp(hostHeader, { name: 'parley-host-header' });
