import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Store } from '../store/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
  }
}

export interface StorePluginOptions {
  store: Store;
  /** Close the store when the app closes. The entry point owns its store; instances sharing one (tests) do not. */
  close?: boolean;
}

async function storePlugin(app: FastifyInstance, opts: StorePluginOptions): Promise<void> {
  app.decorate('store', opts.store);
  // Registered first, so this runs after every other plugin's onClose (they may still write).
  if (opts.close) app.addHook('onClose', async () => opts.store.close());
}

export default fp(storePlugin, { name: 'parley-store' });
