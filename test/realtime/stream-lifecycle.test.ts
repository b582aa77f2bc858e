import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import t from 'tap';
import { publicUser } from '../../server/users/public-user.js';
import { newRoom, newUser, startApp, stream } from '../helpers/app.js';

/** A slow reader is dropped with a reset; a user may have only so many streams open. */

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The kernel's sockets from `fromPort` to `toPort` (Linux /proc/net/tcp): their state (hex) and send queue. */
function kernelSockets(fromPort: number, toPort: number): Array<{ state: string; sendQueue: number }> {
  const rows = readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter((f) => parseInt(f[1]!.split(':')[1]!, 16) === fromPort && parseInt(f[2]!.split(':')[1]!, 16) === toPort)
    .map((f) => ({ state: f[3]!, sendQueue: parseInt(f[4]!.split(':')[0]!, 16) }));
}

const linuxOnly = { skip: !existsSync('/proc/net/tcp') && 'needs Linux /proc/net/tcp' };

t.test('a slow subscriber is dropped with a reset: its unsent bytes leave the kernel', linuxOnly, async (t) => {
  const srv = await startApp({ env: { SSE_MAX_QUEUE_BYTES: '4096' } });
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  // A backlog of about 10 MB, written through the store (the set-up needs no HTTP): more than the kernel's buffers.
  const author = publicUser((await srv.store.getUser(alice.id))!);
  const text = 'x'.repeat(3900);
  for (let batch = 0; batch < 25; batch++) {
    const message = { text, attachments: [] };
    await Promise.all(Array.from({ length: 100 }, () => srv.store.postMessage(room.id, author, message)));
  }
  const serverPort = Number(new URL(srv.url).port);
  const sock = net.connect(serverPort, '127.0.0.1');
  t.teardown(() => sock.destroy());
  sock.on('error', () => {});
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  const headers = `Host: 127.0.0.1\r\nAuthorization: Bearer ${alice.token}\r\nLast-Event-ID: 0`;
  // Reads the first bytes (the stream is open), then no more: its receive buffer fills, then the server's send
  // buffer, then the subscriber's queue.
  const opened = new Promise<void>((resolve) => sock.once('data', () => (sock.pause(), resolve())));
  sock.write(`GET /api/rooms/${room.id}/events HTTP/1.1\r\n${headers}\r\n\r\n`);
  await opened;
  await until('the replay to overflow the queue', () => srv.app.hub.size === 0, 30_000);
  t.equal(srv.app.hub.size, 0, 'the reader that never reads was dropped');
  // After a FIN the server's socket would sit in FIN-WAIT-1 holding megabytes for as long as the client stays
  // silent; after a reset it is gone.
  const held = () => kernelSockets(serverPort, sock.localPort!);
  await until('the server side of the connection to be released', () => held().length === 0, 5000).catch(() => {});
  t.same(held(), [], 'no server-side socket is left holding the unsent bytes');
});

t.test('streams per user are capped: 429 TOO_MANY_STREAMS beyond, and a closed stream frees its place', async (t) => {
  const srv = await startApp({ env: { MAX_STREAMS_PER_USER: '3' } });
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const bob = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  const open = [
    await stream(srv.url, '/api/events', { token: alice.token }),
    await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token }),
    await stream(srv.url, '/api/events', { token: alice.token }),
  ];
  t.teardown(() => open.forEach((s) => s.close()));
  t.same(
    open.map((s) => s.status),
    [200, 200, 200],
  );

  for (const path of ['/api/events', `/api/rooms/${room.id}/events`]) {
    const refused = await stream(srv.url, path, { token: alice.token });
    t.equal(refused.status, 429, `${path}: one more is refused`);
    t.equal(JSON.parse(refused.body).error.code, 'TOO_MANY_STREAMS', 'in the error envelope');
  }
  const bobs = await stream(srv.url, '/api/events', { token: bob.token });
  t.teardown(() => bobs.close());
  t.equal(bobs.status, 200, 'the cap is per user');

  open.pop()!.close();
  await until('a place to free up', () => srv.app.hub.size === 3);
  const next = await stream(srv.url, '/api/events', { token: alice.token });
  t.teardown(() => next.close());
  t.equal(next.status, 200, 'a closed stream frees its place');
});
