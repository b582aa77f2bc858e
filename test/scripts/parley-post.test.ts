import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { aloneInARoom, api } from '../helpers/app.js';
import type { MessageBody, MessagesBody } from '../helpers/bodies.js';

const script = path.resolve(import.meta.dirname, '../../scripts/parley-post');
const hasCurl = await new Promise<boolean>((resolve) => execFile('curl', ['--version'], (err) => resolve(!err)));
const skip = hasCurl ? false : 'curl is not installed (parley-post uses it)';

type Cut = 'close' | 'reset';

/**
 * A TCP proxy in front of the server that loses the answer to the first `cuts` connections: it forwards the
 * request, waits until the server has answered (so the post is stored), then drops the client's connection
 * without passing the answer on, with a FIN ('close': curl sees an empty reply) or an RST ('reset').
 */
async function lossyProxy(target: string, cut: Cut, cuts = 1) {
  const { port } = new URL(target);
  let connections = 0;
  const server = net.createServer((client) => {
    const lose = ++connections <= cuts;
    const upstream = net.connect(Number(port), '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    if (!lose) {
      upstream.pipe(client);
      return;
    }
    upstream.once('data', () => {
      upstream.destroy();
      if (cut === 'reset') client.resetAndDestroy();
      else client.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function parleyPost(url: string, token: string, roomId: string, text: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env, PARLEY_URL: url, PARLEY_TOKEN: token };
    execFile('bash', [script, roomId, text], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

for (const [cut, curlExit] of [
  ['close', 52],
  ['reset', 56],
] as const) {
  const name = `parley-post retries a lost answer (curl ${curlExit}) with the same clientId: stored once, exit 0`;
  t.test(name, { skip }, async (t) => {
    const { srv, a, room } = await aloneInARoom(t);
    const proxy = await lossyProxy(srv.url, cut);
    t.teardown(() => proxy.close());
    const text = `deploy finished (${cut})`;

    const run = await parleyPost(proxy.url, a.token, room.id, text);
    t.equal(run.code, 0, 'exit 0', { stderr: run.stderr });
    t.match(run.stderr, new RegExp(`curl: \\(${curlExit}\\)`), `the first answer was lost as curl ${curlExit}`);
    t.equal(proxy.connections(), 2, 'one retry');
    const printed = JSON.parse(run.stdout) as MessageBody;
    t.equal(printed.message.text, text, 'prints the stored message');

    const history = await api<MessagesBody>(srv.url, 'GET', `/api/rooms/${room.id}/messages`, { token: a.token });
    const stored = history.body.messages.filter((m) => m.text === text);
    t.equal(stored.length, 1, 'the message is stored once');
    t.equal(stored[0]?.seq, printed.message.seq, 'the retry was answered with the message the first try stored');
  });
}

t.test('parley-post does not retry a refused post', { skip }, async (t) => {
  const { srv, room } = await aloneInARoom(t);
  const proxy = await lossyProxy(srv.url, 'close', 0);
  t.teardown(() => proxy.close());
  const run = await parleyPost(proxy.url, 'not-a-token', room.id, 'hello');
  t.equal(run.code, 22, 'curl --fail-with-body exit code for an HTTP error');
  t.equal(proxy.connections(), 1, 'asked once');
  t.match(JSON.parse(run.stdout), { error: { code: 'UNAUTHENTICATED' } }, 'prints the error body');
});
