import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Hub } from '../realtime/hub.js';

declare module 'fastify' {
  interface FastifyInstance {
    hub: Hub;
  }
}

/** The SSE hub: follows the store's feed from start-up, and ends every stream when the app closes. */
async function hubPlugin(app: FastifyInstance): Promise<void> {
  const { config } = app;
  const hub = new Hub(app.store, {
    heartbeatMs: config.heartbeatMs,
    replayLimit: config.replayLimit,
    maxQueueBytes: config.sseMaxQueueBytes,
    presenceGraceMs: config.presenceGraceMs,
    receiptBatchMs: config.receiptBatchMs,
    presenceWindowMs: config.presenceWindowMs,
    presenceFullLimit: config.presenceFullLimit,
    log: app.log,
  });
  app.decorate('hub', hub);
  hub.start();
  // preClose, not onClose: the server waits for open connections before onClose, and a stream never ends by itself.
  app.addHook('preClose', () => hub.stop());
}

export default fp(hubPlugin, { name: 'parley-hub', dependencies: ['parley-config', 'parley-store'] });
