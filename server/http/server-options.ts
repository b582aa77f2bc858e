import type { FastifyServerOptions } from 'fastify';
import { trustProxyOption, type Config } from '../config.js';
import { genReqId } from './request-id.js';

/** Request bodies are JSON chat payloads; 64 KiB is far above the largest valid one (4000 characters of text). */
const BODY_LIMIT = 64 * 1024;

/** The Fastify options: logging, request ids, limits, proxies. */
export function serverOptions(config: Config, logger?: boolean | object): FastifyServerOptions {
  return {
    logger: logger ?? {
      level: config.logLevel,
      // Credentials never reach the logs.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    genReqId,
    bodyLimit: BODY_LIMIT,
    trustProxy: trustProxyOption(config.trustProxy),
    routerOptions: { maxParamLength: 200 },
    forceCloseConnections: true,
  };
}
