import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { UploadJanitor } from '../uploads/retention.js';

declare module 'fastify' {
  interface FastifyInstance {
    uploadJanitor: UploadJanitor;
  }
}

/** Removes uploads never attached to a message, on a timer that runs while the app is open. */
async function uploadJanitorPlugin(app: FastifyInstance): Promise<void> {
  const janitor = new UploadJanitor(app.store, app.config.uploads.retentionMs, app.log);
  app.decorate('uploadJanitor', janitor);
  janitor.start();
  app.addHook('onClose', async () => janitor.stop());
}

export default fp(uploadJanitorPlugin, {
  name: 'parley-upload-janitor',
  dependencies: ['parley-config', 'parley-store'],
});
