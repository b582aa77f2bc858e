import net from 'node:net';
import t from 'tap';
import { Subscriber, type CloseReason } from '../../server/realtime/subscriber.js';
import { WriteBatch } from '../../server/realtime/write-batch.js';

/** A subscriber on a real loopback TCP connection; the far end collects what arrives. */
async function connected(t: { teardown(fn: () => unknown): void }, maxQueueBytes = 1 << 20, flushMs = 0) {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  let received = '';
  client.on('data', (chunk) => (received += chunk.toString()));
  client.on('error', () => {}); // a slow subscriber is cut with a reset
  const writes: number[] = [];
  const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
  // Counts the socket writes the subscriber makes (the real write still happens).
  socket.write = ((chunk: Buffer) => {
    writes.push(chunk.length);
    return write(chunk);
  }) as typeof socket.write;
  const closed: CloseReason[] = [];
  const user = { id: 'u1', username: 'u1', displayName: 'U', gender: null, avatar: null } as never;
  const credential = { sessionId: null, apiTokenId: null };
  const sub = new Subscriber(socket, user, 'room', credential, maxQueueBytes, new WriteBatch(flushMs), () => {});
  const close = sub.close.bind(sub);
  sub.close = (reason: CloseReason) => {
    closed.push(reason);
    close(reason);
  };
  t.teardown(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  const arrived = async (text: string) => {
    for (let i = 0; i < 500 && !received.includes(text); i++) await new Promise((r) => setTimeout(r, 10));
    return received;
  };
  return { sub, socket, client, writes, closed, arrived, received: () => received };
}

const frame = (n: number) => Buffer.from(`id: ${n}\ndata: ${n}\n\n`);

t.test('frames written in one turn leave in one socket write, in order', async (t) => {
  const { sub, writes, arrived } = await connected(t);
  sub.write(frame(1));
  sub.write(frame(2));
  sub.write(frame(3));
  t.same(writes, [], 'nothing written before the turn ends');
  const text = await arrived('id: 3');
  t.equal(text, 'id: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n');
  t.equal(writes.length, 1, 'one write for the three frames');
  sub.write(frame(4));
  await arrived('id: 4');
  t.equal(writes.length, 2, 'a later turn writes again');
});

t.test('SSE_FLUSH_MS: frames of later turns join the same write', async (t) => {
  const { sub, writes, arrived } = await connected(t, 1 << 20, 50);
  sub.write(frame(1));
  await new Promise((resolve) => setImmediate(resolve));
  sub.write(frame(2));
  await arrived('id: 2');
  t.equal(writes.length, 1);
});

t.test('a graceful close still sends what the turn wrote; a slow close drops it', async (t) => {
  const graceful = await connected(t);
  graceful.sub.write(Buffer.from('event: expired\ndata: {}\n\n'));
  graceful.sub.close('expired');
  const text = await graceful.arrived('expired');
  t.match(text, /event: expired/, 'the notice written just before the end arrives');

  const slow = await connected(t, 4096);
  slow.sub.write(Buffer.alloc(3000, 'a'));
  t.same(slow.closed, [], 'within the bound');
  t.equal(slow.sub.write(Buffer.alloc(3000, 'b')), false, 'over the bound: refused');
  t.same(slow.closed, ['slow'], 'and the subscriber is cut, before anything was written');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(slow.writes, [], 'what it had queued is never written');
});
