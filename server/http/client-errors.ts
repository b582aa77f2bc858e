import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ERRORS, type ErrorCode } from '../errors.js';
import { securityHeaders } from '../plugins/security-headers.js';

/**
 * Errors that happen before a request reaches a route: Fastify's router refusing a URL, and Node's HTTP parser
 * refusing the bytes. They answer in the same envelope as every other error, with a request id and the security
 * headers, where an answer is still possible.
 */

function envelope(code: ErrorCode, message?: string): string {
  return JSON.stringify({ error: { code, message: message ?? ERRORS[code].message } });
}

/** The router's errors, before any route or hook: a path that does not decode, a parameter over the length limit. */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = function (
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  let code: ErrorCode;
  if (err.code === 'FST_ERR_BAD_URL') code = 'BAD_URL';
  else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') code = 'URI_TOO_LONG';
  else {
    code = 'INTERNAL';
    request.log.error({ err }, 'routing failed');
  }
  // No onSend hook runs for these answers, so they get their headers here.
  const path = request.url.split('?')[0]!;
  reply
    .code(ERRORS[code].status)
    .headers({ ...securityHeaders(path), 'x-request-id': String(request.id) })
    .type('application/json; charset=utf-8')
    .send(envelope(code));
};

/** Node's parser errors, by their code. Anything else it refuses is a malformed request. */
function clientErrorCode(err: NodeJS.ErrnoException): ErrorCode {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'REQUEST_TIMEOUT';
    case 'HPE_HEADER_OVERFLOW':
      return 'HEADERS_TOO_LARGE';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'PAYLOAD_TOO_LARGE';
    default:
      return 'BAD_REQUEST';
  }
}

/** A whole HTTP/1.1 answer written to a socket that has no request object (or no usable one). */
export function rawErrorResponse(code: ErrorCode, message?: string): string {
  const status = ERRORS[code].status;
  const body = envelope(code, message);
  const headers: Record<string, string> = {
    ...securityHeaders('/api/'),
    'x-request-id': randomUUID(),
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}date: ${new Date().toUTCString()}\r\n\r\n${body}`;
}

/**
 * Node's `clientError`: malformed HTTP, oversized headers, a request that took too long to arrive. Answered only
 * while no part of a response has gone out on the socket (as Node itself does), then the connection ends.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code = clientErrorCode(err);
  this.log.debug({ err, code }, 'client error');
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && (!inFlight || !inFlight.headersSent)) {
    const message = code === 'BAD_REQUEST' ? 'Malformed HTTP request' : undefined;
    socket.write(rawErrorResponse(code, message));
  }
  socket.destroy();
}
