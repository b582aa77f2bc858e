import t from 'tap';
import { newRoom, newUser, post, startApp, stream } from '../helpers/app.js';
import { RawConnection } from '../helpers/raw-http.js';

/** With a short REQUEST_TIMEOUT, a body or a head that trickles in is cut with 408; a stream open longer is not. */
t.test('a slow request is cut with 408 in the envelope; streams are not', async (t) => {
  const srv = await startApp({ env: { REQUEST_TIMEOUT: '1s', HEARTBEAT_MS: '200' } });
  t.teardown(() => srv.close());
  const port = Number(new URL(srv.url).port);
  const u = await newUser(srv.url);
  const room = await newRoom(srv.url, u);
  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: u.token });
  t.teardown(() => s.close());

  const slowBody = new RawConnection(port);
  const slowHead = new RawConnection(port);
  t.teardown(() => (slowBody.close(), slowHead.close()));
  slowBody.write(
    'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
  );
  slowHead.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
  // One more byte now and then keeps the socket busy, as in the reported attack; the timeout is on the whole request.
  const trickle = setInterval(() => {
    slowBody.write(' ');
    slowHead.write('X-A: b\r\n');
  }, 300);
  t.teardown(() => clearInterval(trickle));

  for (const [conn, what] of [
    [slowBody, 'slow body'],
    [slowHead, 'slow head'],
  ] as const) {
    await conn.untilClosed(15_000);
    const [res] = conn.responses;
    t.equal(res?.status, 408, `${what}: 408`);
    t.same(res?.json, { error: { code: 'REQUEST_TIMEOUT', message: 'The request took too long to arrive' } }, what);
    t.ok(res?.headers['x-request-id'], `${what}: a request id`);
    t.equal(res?.headers['x-content-type-options'], 'nosniff', `${what}: the security headers`);
  }

  // The stream has been open for several timeouts by now, and still delivers.
  t.notOk(s.ended, 'the stream is still open');
  await post(srv.url, u, room.id, 'still streaming');
  await s.waitFor((ev) => ev.some((e) => e.json?.payload?.message?.text === 'still streaming'));
  t.notOk(s.ended);
});
