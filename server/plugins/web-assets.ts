import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { createRequire } from 'node:module';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

/** The built client (web/dist) when present, else the static placeholder (web/public). */
export function webRoot(): string {
  const dist = path.join(webDir, 'dist');
  return existsSync(path.join(dist, 'index.html')) ? dist : path.join(webDir, 'public');
}

/** The folder of emoji-picker-element-data's English data (its data.json is GET /emoji/data.json). */
const EMOJI_DATA_DIR = path.dirname(
  createRequire(import.meta.url).resolve('emoji-picker-element-data/en/emojibase/data.json'),
);

/** Client routes all answer with the app shell; the client decides what to show. */
const CLIENT_ROUTES = ['/', '/login', '/register', '/rooms/*'];

export default async function webAssets(app: FastifyInstance): Promise<void> {
  const root = webRoot();
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    wildcard: false,
    // send's own Cache-Control would override setHeaders; the policy below is the only one.
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders(res, filePath) {
      // Bundled files carry a content hash in their name: cache them for good. Everything else revalidates.
      const immutable = /[.-][A-Za-z0-9]{8,}\.(js|css|png|svg|woff2)$/.test(path.basename(filePath));
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  // The reaction picker's emoji data (emoji-picker-element-data), served by Parley itself: the picker would otherwise
  // fetch it from a CDN, which the page's CSP (connect-src 'self') refuses anyway.
  await app.register(fastifyStatic, {
    root: EMOJI_DATA_DIR,
    prefix: '/emoji/',
    decorateReply: false,
    index: false,
    cacheControl: false,
    etag: true,
    setHeaders(res) {
      res.setHeader('cache-control', 'public, max-age=86400');
    },
  });
  for (const url of CLIENT_ROUTES) {
    app.get(url, { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    });
  }
}
