import { rmSync } from 'node:fs';
import t from 'tap';
import { api, newRoom, newUser, startApp, stream, tempDir } from './helpers/app.js';
import { freePort, startProcess } from './helpers/process.js';
import { RawConnection } from './helpers/raw-http.js';

/** The head of a POST whose body is sent later: the server answers `100 Continue` once it has routed it. */
function postHead(roomId: string, token: string, body: string): string {
  return (
    `POST /api/rooms/${roomId}/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`
  );
}

t.test('SIGTERM: every request in flight gets its answer, and every 201 is stored', async (t) => {
  const dataDir = tempDir();
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = String(await freePort());
  const first = await startProcess({ DATA_DIR: dataDir, PORT: port });
  t.teardown(() => first.child.kill('SIGKILL'));
  const u = await newUser(first.url);
  const room = await newRoom(first.url, u);
  const s = await stream(first.url, `/api/rooms/${room.id}/events`, { token: u.token });

  // An idle keep-alive connection, which must not hold the shutdown up.
  const idle = new RawConnection(first.port);
  idle.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await idle.until(() => idle.responses.length === 1, 'health answer');

  // Requests the server has routed (100 Continue) but whose bodies are still on their way when SIGTERM arrives.
  const N = 30;
  const posts = Array.from({ length: N }, (_, i) => {
    const body = JSON.stringify({ text: `in flight ${i}`, clientId: `inflight-${i}` });
    const conn = new RawConnection(first.port);
    conn.write(postHead(room.id, u.token, body));
    return { conn, body, text: `in flight ${i}` };
  });
  for (const p of posts) await p.conn.until(() => p.conn.responses.some((r) => r.status === 100), '100 Continue');

  first.child.kill('SIGTERM');
  // The streams end first thing in the shutdown: from here on the server is closing.
  await s.done;
  for (const p of posts) p.conn.write(p.body);
  for (const p of posts) await p.conn.until(() => p.conn.responses.some((r) => r.status >= 200), 'final answer');
  const answers = posts.map((p) => p.conn.responses.find((r) => r.status >= 200)!);
  t.same(
    answers.map((a) => a.status),
    Array(N).fill(201),
    'every request in flight got its 201',
  );
  t.ok(
    answers.every((a) => a.headers.connection === 'close'),
    'each answer closes its connection',
  );
  await idle.untilClosed();
  const exit = await first.exited;
  t.equal(exit.code, 0, 'exit code 0');

  const second = await startProcess({ DATA_DIR: dataDir, PORT: port });
  t.teardown(() => second.child.kill('SIGKILL'));
  const history = await api(second.url, 'GET', `/api/rooms/${room.id}/messages?after=0&limit=100`, { token: u.token });
  const stored = new Map<number, string>(
    history.body.messages.map((m: { seq: number; text: string }) => [m.seq, m.text]),
  );
  for (const [i, a] of answers.entries()) {
    t.equal(stored.get(a.json.message.seq), posts[i]!.text, `answer ${i} (seq ${a.json.message.seq}) is stored`);
  }
  t.equal(stored.size, N, 'and nothing else');
  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0);
});

t.test('a request arriving while the server closes answers 503 SHUTTING_DOWN, in the envelope', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);
  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: u.token });
  const port = Number(new URL(srv.url).port);

  // One request routed before the close, and one whose head is only half sent when the close begins.
  const routed = new RawConnection(port);
  const late = new RawConnection(port);
  t.teardown(() => (routed.close(), late.close()));
  const body = JSON.stringify({ text: 'routed before the close' });
  routed.write(postHead(room.id, u.token, body));
  await routed.until(() => routed.responses.some((r) => r.status === 100), '100 Continue');
  late.write(`GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\n`);

  const closing = srv.app.close();
  await s.done;
  routed.write(body);
  late.write(`Authorization: Bearer ${u.token}\r\n\r\n`);
  await routed.untilClosed();
  await late.untilClosed();

  const posted = routed.responses.find((r) => r.status >= 200);
  t.equal(posted?.status, 201, 'the request in flight finished');
  t.equal(posted?.json?.message?.text, 'routed before the close');
  const [refused] = late.responses;
  t.equal(refused?.status, 503, 'the late one is refused');
  t.same(refused?.json, {
    error: { code: 'SHUTTING_DOWN', message: 'The server is shutting down; try again shortly' },
  });
  t.ok(refused?.headers['x-request-id'], 'with its request id');
  t.equal(refused?.headers['x-content-type-options'], 'nosniff', 'and the security headers');
  t.equal(refused?.headers['cache-control'], 'no-store');
  t.equal(refused?.headers.connection, 'close');
  await closing;
});
