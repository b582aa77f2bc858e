import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { fail } from '../errors.js';

/**
 * Graceful close. When the app starts closing, the server stops accepting connections and Node closes the idle
 * ones; the streams end (the hub's preClose). Requests already routed finish and get their answers, each with
 * `Connection: close`, so their connections end after them. A request that arrives meanwhile on a connection
 * still open answers 503 SHUTTING_DOWN without running (the client retries it elsewhere or after the restart).
 */
async function shutdown(app: FastifyInstance): Promise<void> {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw fail('SHUTTING_DOWN', { headers: { connection: 'close' } });
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  // An answer whose headers went out before the close kept its connection alive: close the connection once it is
  // idle (on the next turn, after Node has finished with the response).
  app.addHook('onResponse', async (_request, reply) => {
    if (closing && reply.getHeader('connection') !== 'close') setImmediate(() => app.server.closeIdleConnections());
  });
}

export default fp(shutdown, { name: 'parley-shutdown' });
