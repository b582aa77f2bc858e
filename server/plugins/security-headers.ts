import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** The app's own pages load only their own scripts and styles. */
const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The API docs page (Swagger UI): its scripts are files of its own, but it styles elements inline, draws its icons
 * from data: URIs and shows image responses through blob: URLs. It fetches only /docs/json and the API itself.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const ALWAYS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const isDocs = (path: string) => path === '/docs' || path.startsWith('/docs/');
const isApi = (path: string) => path.startsWith('/api/');

/**
 * The headers every answer carries, for a path (the matched route, else the request's own path). Answers written
 * without a route (malformed requests) use them too.
 */
export function securityHeaders(path: string): Record<string, string> {
  const headers: Record<string, string> = { ...ALWAYS, 'content-security-policy': isDocs(path) ? DOCS_CSP : APP_CSP };
  if (isApi(path)) headers['cache-control'] = 'no-store';
  return headers;
}

async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (request, reply, payload) => {
    // The matched route decides, so an encoded path (/%61pi/...) gets the headers of the route it reached.
    const path = request.routeOptions.url ?? request.url.split('?')[0]!;
    for (const [name, value] of Object.entries(securityHeaders(path))) {
      // A route's own policy (an uploaded image's sandbox, a file's cache lifetime) stands.
      if ((name === 'content-security-policy' || name === 'cache-control') && reply.hasHeader(name)) continue;
      reply.header(name, value);
    }
    return payload;
  });
}

export default fp(securityHeadersPlugin, { name: 'parley-security-headers' });
