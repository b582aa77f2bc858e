import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

/** The validated configuration, loaded by the caller (the entry point or a test). */
async function configPlugin(app: FastifyInstance, opts: { config: Config }): Promise<void> {
  app.decorate('config', opts.config);
}

export default fp(configPlugin, { name: 'parley-config' });
