import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import attentionRoutes from './attention/routes.js';
import authRoutes from './auth/routes.js';
import tokens from './auth/tokens.js';
import type { Config } from './config.js';
import { gateConnections } from './http/connection-gate.js';
import errorHandler from './http/error-handler.js';
import healthRoutes from './http/health.js';
import hostHeader from './http/host-header.js';
import requestId from './http/request-id.js';
import { serverOptions } from './http/server-options.js';
import shutdown from './http/shutdown.js';
import messageRoutes from './messages/routes.js';
import authPlugin from './plugins/auth.js';
import configPlugin from './plugins/config.js';
import hub from './plugins/hub.js';
import openapi from './plugins/openapi.js';
import securityHeaders from './plugins/security-headers.js';
import storePlugin from './plugins/store.js';
import uploadJanitor from './plugins/upload-janitor.js';
import webAssets from './plugins/web-assets.js';
import reactionRoutes from './reactions/routes.js';
import presenceRoutes from './realtime/presence-routes.js';
import realtimeRoutes from './realtime/routes.js';
import roomRoutes from './rooms/routes.js';
import searchRoutes from './search/routes.js';
import imageWork from './uploads/image-work.js';
import uploadRoutes from './uploads/routes.js';
import type { Store } from './store/store.js';

export interface BuildOptions {
  config: Config;
  store: Store;
  /** Close the store when the app closes (the entry point); instances that share a store leave it open. */
  closeStore?: boolean;
  /** Pino options or false; defaults to the configured level. */
  logger?: boolean | object;
}

/** Builds the app without listening: tests inject or listen on port 0 themselves. */
export async function buildApp({ config, store, closeStore = false, logger }: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config, logger));
  gateConnections(app.server, config.newConnectionsAtOnce);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // In order: each plugin names the ones it needs, and Fastify refuses to start if one is missing or comes later.
  await app.register(configPlugin, { config });
  await app.register(storePlugin, { store, close: closeStore });
  await app.register(hub);
  await app.register(uploadJanitor);
  await app.register(imageWork);

  await app.register(requestId);
  await app.register(shutdown);
  await app.register(hostHeader);
  await app.register(errorHandler);
  await app.register(cookie);
  await app.register(tokens, { secret: config.jwtSecret });
  await app.register(securityHeaders);
  await app.register(authPlugin);
  await app.register(openapi);

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(roomRoutes);
  await app.register(messageRoutes);
  await app.register(searchRoutes);
  await app.register(reactionRoutes);
  await app.register(attentionRoutes);
  await app.register(realtimeRoutes);
  await app.register(presenceRoutes);
  await app.register(uploadRoutes);
  await app.register(webAssets);
  return app;
}
