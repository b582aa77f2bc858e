import t from 'tap';
import { startApp } from '../helpers/app.js';
import { rawExchange, type RawResponse } from '../helpers/raw-http.js';

/**
 * Requests refused before any route (by the router or by Node's HTTP parser) answer in the same envelope as every
 * other error, with a request id and the security headers.
 */
t.test('errors before any route are in the envelope', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const port = Number(new URL(srv.url).port);

  const check = (res: RawResponse | undefined, status: number, code: string, what: string) => {
    t.equal(res?.status, status, `${what}: ${status}`);
    t.equal(res?.json?.error?.code, code, `${what}: ${code}`);
    t.type(res?.json?.error?.message, 'string', `${what}: a message`);
    t.same(Object.keys(res?.json ?? {}), ['error'], `${what}: nothing beside error`);
    t.match(res?.headers['content-type'], /^application\/json/, `${what}: JSON`);
    t.match(res?.headers['x-request-id'], /^[\w-]{8,}$/, `${what}: a request id`);
    t.equal(res?.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
    t.match(res?.headers['content-security-policy'], /default-src 'self'/, `${what}: a CSP`);
    t.equal(res?.headers['cache-control'], 'no-store', `${what}: not cached`);
  };
  const send = async (head: string) => (await rawExchange(port, head))[0];

  check(
    await send('GET /api/rooms/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    400,
    'BAD_URL',
    'bad percent-encoding',
  );
  const long = 'a'.repeat(201);
  check(
    await send(`GET /api/rooms/${long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    414,
    'URI_TOO_LONG',
    'long segment',
  );
  check(await send('GET\t/api/health\tHTTP/1.1\r\nHost: x\r\n\r\n'), 400, 'BAD_REQUEST', 'tabs in the request line');
  const framing = 'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n';
  check(await send(framing + '0\r\n\r\n'), 400, 'BAD_REQUEST', 'Content-Length with Transfer-Encoding');
  check(
    await send('GET /api/health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'),
    400,
    'BAD_REQUEST',
    'control character',
  );
  const big = `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`;
  check(await send(big), 431, 'HEADERS_TOO_LARGE', 'oversized headers');
  check(await send('GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n'), 400, 'BAD_REQUEST', 'no Host');

  const old = await send('GET /api/health HTTP/1.0\r\n\r\n');
  t.equal(old?.status, 200, 'HTTP/1.0 needs no Host');
  t.equal((await fetch(`${srv.url}/api/health`)).status, 200, 'still serving');
});
