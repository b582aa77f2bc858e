import { ERRORS, type ErrorCode } from '../errors/catalogue.js';
import { codesDeclaredFor } from '../schemas.js';

/**
 * The error codes of each route in the OpenAPI document. Per status, a route answers with the codes it declared
 * (errorResponses in server/schemas.ts) and those that follow from the route itself; a status declared without
 * codes lists every code the catalogue has for it.
 */

interface RouteFacts {
  method: string;
  url: string;
  hasBody: boolean;
  hasInput: boolean;
  isPublic: boolean;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Codes a route can answer because of what it is, whatever its handler does. */
function implied(route: RouteFacts): Array<[ErrorCode, number]> {
  const codes: ErrorCode[] = [];
  if (route.hasInput) codes.push('VALIDATION_FAILED');
  if (route.hasBody)
    codes.push('INVALID_JSON', 'EMPTY_BODY', 'BAD_CONTENT_LENGTH', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  // The auth hook guards every /api route that is not public; a cookie must come from our own origin to write.
  if (route.url.startsWith('/api/') && !route.isPublic) {
    codes.push('UNAUTHENTICATED', 'BAD_AUTHORIZATION');
    if (UNSAFE.has(route.method)) codes.push('CROSS_ORIGIN');
  }
  return codes.map((code) => [code, ERRORS[code].status]);
}

function catalogued(status: number): ErrorCode[] {
  return (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === status);
}

/** The response entry of one status: the envelope with `code` limited to these codes, and a list of them. */
export function errorResponseSchema(status: number, codes: ErrorCode[]): Record<string, unknown> {
  const lines = codes.map((code) => {
    const entry = ERRORS[code];
    // A code answering with another status than its usual one keeps its name only (its message is the usual one's).
    return entry.status === status ? `- \`${code}\`: ${entry.message}` : `- \`${code}\``;
  });
  return {
    description: `Error codes:\n${lines.join('\n')}`,
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: codes },
          message: { type: 'string' },
          details: {},
        },
      },
    },
  };
}

interface TransformInput {
  schema: object | undefined;
  url: string;
  route: { method: string | string[]; config?: unknown };
}

type RouteSchema = Record<string, unknown> & { response?: Record<string, unknown>; hide?: boolean };

/** Rewrites the error responses of one transformed route (`out`, what jsonSchemaTransform made of `input`). */
export function documentErrorCodes<T extends { schema?: unknown }>(input: TransformInput, out: T): T {
  const schema = input.schema as RouteSchema | undefined;
  if (!schema || schema.hide || !out.schema) return out;
  const method = Array.isArray(input.route.method) ? input.route.method[0]! : input.route.method;
  const facts: RouteFacts = {
    method,
    url: input.url,
    hasBody: schema.body !== undefined,
    hasInput: ['body', 'params', 'querystring', 'headers'].some((part) => schema[part] !== undefined),
    isPublic: (input.route.config as { public?: boolean } | undefined)?.public === true,
  };
  const byStatus = new Map<number, Set<ErrorCode>>();
  const add = (status: number, code: ErrorCode) => byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  const declared = schema.response ?? {};
  const given = new Set<number>();
  for (const [key, responseSchema] of Object.entries(declared)) {
    const status = Number(key);
    if (!(status >= 400)) continue;
    given.add(status);
    for (const code of codesDeclaredFor(responseSchema) ?? []) add(status, code);
  }
  for (const [code, status] of implied(facts)) add(status, code);
  for (const status of given) if (!byStatus.has(status)) for (const code of catalogued(status)) add(status, code);

  if (byStatus.size === 0) return out;
  const response = { ...((out.schema as { response?: Record<string, unknown> }).response ?? {}) };
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    response[status] = errorResponseSchema(status, [...codes]);
  }
  return { ...out, schema: { ...(out.schema as object), response } };
}

/** The codes any request can meet, before or outside its route, for the document's description. */
export function codesOfAnyRequest(): string {
  const codes: ErrorCode[] = ['BAD_URL', 'BAD_REQUEST', 'REQUEST_TIMEOUT', 'URI_TOO_LONG', 'HEADERS_TOO_LARGE'];
  codes.push('INTERNAL', 'STORAGE_UNAVAILABLE', 'SHUTTING_DOWN');
  return codes.map((code) => `\`${ERRORS[code].status} ${code}\``).join(', ');
}
