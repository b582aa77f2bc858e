import net from 'node:net';
import t from 'tap';
import { aloneInARoom, api, post, serve } from './helpers/app.js';
import type { ErrorBody, RoomsBody } from './helpers/bodies.js';

/**
 * Bad input on every route: a clear 4xx in the error shape, never a 5xx, and nothing changes.
 */
t.test('garbage on every route gets a 4xx with details and changes nothing', async (t) => {
  const { srv, a: u, room } = await aloneInARoom(t);
  const msg = await post(srv.url, u, room.id, 'keep me');
  const before = JSON.stringify(await srv.store.eventsAfter(room.id, 0, 1000));

  const R = `/api/rooms/${room.id}`;
  const bodies: unknown[] = [
    null,
    42,
    'text',
    [],
    { text: 5 },
    { text: '' },
    { text: ' \n ' },
    { text: 'x'.repeat(4001) },
    { name: {} },
    { username: ['a'] },
    { role: 'god' },
    { text: 'ok', extra: { deep: [1, 2, { x: null }] } },
  ];
  const routes: Array<[string, string, boolean]> = [
    ['POST', '/api/auth/register', true],
    ['POST', '/api/auth/login', true],
    ['PATCH', '/api/me', true],
    ['POST', '/api/tokens', true],
    ['POST', '/api/rooms', true],
    ['PATCH', R, true],
    ['POST', `${R}/members`, true],
    ['PATCH', `${R}/members/${u.id}`, true],
    ['POST', `${R}/messages`, true],
    ['PATCH', `${R}/messages/${msg.seq}`, true],
  ];
  for (const [method, url] of routes) {
    for (const body of bodies) {
      // { text: 'ok', extra } is a valid message body (unknown keys are ignored) and { text: 'ok' } a valid edit.
      if (body && typeof body === 'object' && 'extra' in body && url.includes('/messages')) continue;
      const res = await api<ErrorBody | null>(srv.url, method, url, { token: u.token, body });
      t.ok(
        res.status >= 400 && res.status < 500,
        `${method} ${url} ${JSON.stringify(body).slice(0, 40)} -> ${res.status}`,
      );
      t.type(res.body?.error?.code, 'string', 'error shape');
    }
    const malformed = await api<ErrorBody>(srv.url, method, url, { token: u.token, rawBody: '{"text": "unterminated' });
    t.equal(malformed.status, 400, `${method} ${url} malformed JSON`);
    t.equal(malformed.body.error.code, 'INVALID_JSON');
    const huge = await api(srv.url, method, url, {
      token: u.token,
      rawBody: JSON.stringify({ text: 'y'.repeat(200_000) }),
    });
    t.equal(huge.status, 413, `${method} ${url} oversize body`);
    const wrongType = await api(srv.url, method, url, {
      token: u.token,
      rawBody: 'text=hi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    t.equal(wrongType.status, 415, `${method} ${url} form body`);
  }

  const paths = [
    '/api/rooms/not-an-id',
    '/api/rooms/%00%00',
    `/api/rooms/${'a'.repeat(300)}`,
    '/api/rooms/AAAAAAAAAAAAAAAA',
    `${R}/messages/abc`,
    `${R}/messages/-1`,
    `${R}/messages/0`,
    `${R}/messages/99999999999999999999`,
    `${R}/messages/1.5`,
    `${R}/messages?limit=%ZZ`,
    `${R}/members/xyz`,
    '/api/tokens/!!',
    '/api/nope',
    `${R}/events?lastEventId=${'9'.repeat(30)}`,
    `/api/events?lastEventId=garbage`,
    `${R}/messages?before=1&before=2`,
  ];
  for (const path of paths) {
    // A bad query string only matters to GET; with another method the path decides.
    for (const method of path.includes('?') ? ['GET'] : ['GET', 'DELETE', 'PATCH', 'POST']) {
      const res = await api(srv.url, method, path, {
        token: u.token,
        body: method === 'GET' || method === 'DELETE' ? undefined : { text: 'x' },
      });
      t.ok(res.status >= 400 && res.status < 500, `${method} ${path.slice(0, 60)} -> ${res.status}`);
    }
  }
  t.equal(
    JSON.stringify(await srv.store.eventsAfter(room.id, 0, 1000)),
    before,
    'no event was appended by any bad request',
  );
  t.equal(
    (await api<RoomsBody>(srv.url, 'GET', '/api/rooms', { token: u.token })).body.rooms.length,
    1,
    'no room was created',
  );
  t.equal((await api(srv.url, 'GET', '/api/health')).status, 200, 'still serving');
});

t.test('malformed HTTP does not crash the server', async (t) => {
  const srv = await serve(t);
  const { port } = new URL(srv.url);
  const raw = async (data: string) =>
    new Promise<string>((resolve) => {
      const sock = net.connect(Number(port), '127.0.0.1', () => sock.end(data));
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('close', () => resolve(out));
      sock.on('error', () => resolve(out));
    });
  t.match(await raw('GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
  t.match(
    await raw(
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"a"',
    ),
    /^(HTTP\/1\.1 400|)/,
  );
  t.match(
    await raw('GET /api/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u0000\r\n\r\n'),
    /^HTTP\/1\.1 (200|400)/,
  );
  const bearer = await api(srv.url, 'GET', '/api/me', { headers: { authorization: 'Bearer a.b.c' } });
  t.equal(bearer.status, 401);
  t.equal((await api(srv.url, 'GET', '/api/health')).status, 200, 'still serving');
});
