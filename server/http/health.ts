import type { FastifyInstance } from 'fastify';

/** Liveness for load balancers and scripts: public, so it says nothing about activity (no stream count). */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { store } = app;
  app.get(
    '/api/health',
    { config: { public: true }, schema: { tags: ['meta'], summary: 'Liveness and store' } },
    async () => ({
      status: 'ok',
      store: store.kind,
      feed: store.feed.live ? 'live' : 'down',
    }),
  );
}
