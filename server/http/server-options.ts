import type { FastifyBaseLogger, FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import { trustProxyOption, type Config } from '../config.js';
import { clientErrorHandler, frameworkErrors } from './client-errors.js';
import { genReqId } from './request-id.js';

/** Request bodies are JSON chat payloads; 64 KiB is far above the largest valid one (4000 characters of text). */
const BODY_LIMIT = 64 * 1024;

/** Headers come in one packet from any real client; a peer that trickles them is let go after this long. */
const HEADERS_TIMEOUT_MS = 30_000;

/** The Fastify options: logging, request ids, limits, timeouts, proxies, and errors before any route. */
export function serverOptions(
  config: Config,
  logger?: boolean | object,
): FastifyHttpOptions<Server, FastifyBaseLogger> {
  const requestTimeout = config.requestTimeoutMs;
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeout);
  return {
    logger: logger ?? {
      level: config.logLevel,
      // Credentials never reach the logs.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
        censor: '[redacted]',
      },
    },
    genReqId,
    bodyLimit: BODY_LIMIT,
    trustProxy: trustProxyOption(config.trustProxy),
    routerOptions: { maxParamLength: 200 },
    // A slow request (headers or body) is cut with 408 (clientErrorHandler). Node checks for them every
    // connectionsCheckingInterval, so that follows the timeout. A stream's request is complete once its headers
    // are in, so the timeouts never touch a stream; there is no idle-socket timeout for the same reason.
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout,
      connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(headersTimeout / 4))),
      // Checked in an onRequest hook instead (http/host-header.ts), to answer in the error envelope.
      requireHostHeader: false,
    },
    // Closing lets in-flight requests finish (http/shutdown.ts): Node's server.close() ends idle connections, and
    // a request arriving meanwhile is answered 503 by that plugin in the envelope rather than Fastify's own body.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
  };
}
