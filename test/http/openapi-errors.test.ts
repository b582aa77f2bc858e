import { rmSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { fail } from '../../server/errors.js';
import { errorResponses, RoomParams } from '../../server/schemas.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { api, newUser, startApp, TEST_ENV, tempDir } from '../helpers/app.js';

/** The codes of one operation's error response, as /docs/json lists them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is read loosely
function codes(doc: any, route: string, method: string, status: number): string[] | undefined {
  return doc.paths[route]?.[method]?.responses?.[status]?.content?.['application/json']?.schema?.properties?.error
    ?.properties?.code?.enum;
}

t.test('the document lists the codes of each error response of the real routes', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const doc = (await api(srv.url, 'GET', '/docs/json')).body;
  const post = '/api/rooms/{roomId}/messages';
  t.ok(
    ['VALIDATION_FAILED', 'INVALID_JSON', 'REPLY_TO_UNKNOWN'].every((c) => codes(doc, post, 'post', 400)?.includes(c)),
    'a body: validation and JSON, and the codes the route declares',
  );
  t.ok(codes(doc, post, 'post', 409)?.includes('REPLY_TO_DELETED'), 'a reply to a deleted message');
  t.same(codes(doc, post, 'post', 401), ['UNAUTHENTICATED', 'BAD_AUTHORIZATION'], 'authenticated');
  t.ok(codes(doc, post, 'post', 403)?.includes('CROSS_ORIGIN'), 'a write: same-origin cookies');
  t.same(codes(doc, post, 'post', 413), ['PAYLOAD_TOO_LARGE']);
  t.ok(codes(doc, '/api/rooms/{roomId}', 'get', 404)?.includes('ROOM_NOT_FOUND'), 'a declared status lists its codes');
  t.notOk(codes(doc, '/api/rooms/{roomId}', 'get', 403)?.includes('CROSS_ORIGIN'), 'a read needs no same origin');
  t.ok(codes(doc, '/api/auth/login', 'post', 401)?.includes('INVALID_CREDENTIALS'), 'login: wrong credentials');
  t.notOk(doc.paths['/api/auth/login'].post.responses[403], 'a public route answers no CROSS_ORIGIN');
  t.same(Object.keys(doc.paths['/api/health'].get.responses), ['200'], 'health: no error responses');
  t.match(doc.paths[post].post.responses[401].description, /`UNAUTHENTICATED`: Sign in/, 'descriptions name the codes');
  t.match(doc.info.description, /503 SHUTTING_DOWN/, 'codes any request may meet');
});

t.test('a route names its codes with errorResponses(), and still answers any code it throws', async (t) => {
  const dataDir = tempDir();
  const config = loadConfig({ ...TEST_ENV, DATA_DIR: dataDir, PORT: '0' });
  const store = new SqliteStore({ file: path.join(dataDir, 'parley.db'), synchronous: config.sqliteSynchronous });
  const app = await buildApp({ config, store, logger: false });
  t.teardown(async () => {
    await app.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  app.get(
    '/api/probe/:roomId',
    {
      schema: {
        params: RoomParams,
        querystring: z.object({ fail: z.enum(['room', 'member', 'forbidden']) }),
        response: { 204: z.null(), ...errorResponses('ROOM_NOT_FOUND', ['NOT_A_MEMBER', 404], 'NOT_A_MEMBER') },
      },
    },
    async (request) => {
      const which = (request.query as { fail: string }).fail;
      if (which === 'room') throw fail('ROOM_NOT_FOUND');
      if (which === 'member') throw fail('NOT_A_MEMBER', { status: 404, message: 'Not in this room' });
      throw fail('FORBIDDEN');
    },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const doc = (await api(url, 'GET', '/docs/json')).body;
  const probe = '/api/probe/{roomId}';
  t.same(codes(doc, probe, 'get', 404), ['ROOM_NOT_FOUND', 'NOT_A_MEMBER'], '404: the declared codes');
  t.same(codes(doc, probe, 'get', 403), ['NOT_A_MEMBER'], '403: the code at its usual status');
  t.same(codes(doc, probe, 'get', 400), ['VALIDATION_FAILED'], '400: implied by the params and query');
  t.same(codes(doc, probe, 'get', 401), ['UNAUTHENTICATED', 'BAD_AUTHORIZATION'], '401: implied by authentication');
  t.match(doc.paths[probe].get.responses[404].description, /`ROOM_NOT_FOUND`: Room not found/);

  const u = await newUser(url);
  const id = 'AAAAAAAAAAAAAAAA';
  const room = await api(url, 'GET', `/api/probe/${id}?fail=room`, { token: u.token });
  t.same([room.status, room.body.error.code], [404, 'ROOM_NOT_FOUND']);
  const member = await api(url, 'GET', `/api/probe/${id}?fail=member`, { token: u.token });
  t.same([member.status, member.body.error], [404, { code: 'NOT_A_MEMBER', message: 'Not in this room' }]);
  const other = await api(url, 'GET', `/api/probe/${id}?fail=forbidden`, { token: u.token });
  t.same([other.status, other.body.error.code], [403, 'FORBIDDEN'], 'the list documents; it does not refuse a code');
});
