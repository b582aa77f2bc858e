import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Hub } from '../realtime/hub.js';

declare module 'fastify' {
  interface FastifyInstance {
    hub: Hub;
  }
  interface FastifyContextConfig {
    /** An event stream: its opening waits its turn at the hub's gate (realtime/open-gate.ts). */
    stream?: boolean;
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
    flushMs: config.sseFlushMs,
    replayCacheBytes: config.replayCacheBytes,
    opensPerTurn: config.streamOpensPerTurn,
    log: app.log,
  });
  app.decorate('hub', hub);
  hub.start();
  // Registered before authentication, so a reconnect storm is authenticated in batches too, not all in one turn.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.stream) await hub.opens.enter();
  });
  // preClose, not onClose: the server waits for open connections before onClose, and a stream never ends by itself.
  app.addHook('preClose', () => hub.stop());
}

export default fp(hubPlugin, { name: 'parley-hub', dependencies: ['parley-config', 'parley-store'] });
