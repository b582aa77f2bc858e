import http from 'node:http';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import t, { type Test } from 'tap';
import { gateConnections, LATE_PLACE_MS } from '../../server/http/connection-gate.js';
import { iterationCounter } from '../helpers/iterations.js';

/** A plain HTTP server behind the gate (or not), answering each request with its path. */
async function server(t: Test, slots: number | null) {
  const srv = http.createServer((req, res) => res.end(req.url));
  if (slots !== null) gateConnections(srv, slots);
  const sockets = new Set<net.Socket>();
  srv.on('connection', (s: net.Socket) => sockets.add(s));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  return { srv, port: (srv.address() as net.AddressInfo).port, connections: () => sockets.size };
}

/** A client on a real connection that writes a GET of `path` at once (an empty path: an idle connection that sends
 * nothing); `responses(n)` resolves with the raw text once n responses have come. */
function client(t: Test, port: number, path: string, keepAlive = false) {
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  socket.on('error', () => {});
  const request = (p: string) =>
    socket.write(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`);
  /** Resolves once `n` responses have arrived (each body is its path). */
  const responses = async (n: number) => {
    for (let i = 0; i < 1000 && (text.match(/HTTP\/1\.1 200/g)?.length ?? 0) < n; i++) await sleep(5);
    if ((text.match(/HTTP\/1\.1 200/g)?.length ?? 0) < n) throw new Error(`no response ${n} on ${path}: ${text}`);
    return text;
  };
  if (path) request(path);
  return { socket, request, responses };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the 'request' events of each event-loop iteration (a self-rescheduling setImmediate marks iterations). */
function requestsPerIteration(srv: http.Server) {
  const iterations = iterationCounter();
  const counts = new Map<number, number>();
  srv.on('request', () => counts.set(iterations.current(), (counts.get(iterations.current()) ?? 0) + 1));
  return {
    stop: iterations.stop,
    max: () => Math.max(0, ...counts.values()),
    counts: () => [...counts.values()],
  };
}

/**
 * The clients of a burst, on a worker thread. They connect; once the server has taken every connection in (Node
 * accepts one per loop iteration), they all write their request while this thread is blocked, so that every request
 * is waiting in the kernel when the server's loop runs again: a burst of first requests, as after a restart.
 */
const BURST_CLIENTS = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { port, count, flag } = workerData;
const texts = new Array(count).fill('');
const sockets = [];
let ended = 0;
for (let i = 0; i < count; i++) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.on('data', (chunk) => (texts[i] += chunk.toString()));
  socket.on('close', () => {
    if (++ended === count) parentPort.postMessage(texts);
  });
  sockets.push(socket);
}
parentPort.once('message', () => {
  let written = 0;
  sockets.forEach((socket, i) =>
    socket.write('GET /c' + i + ' HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n', () => {
      if (++written === count) {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      }
    }),
  );
});
`;

async function burst(t: Test, slots: number | null, count: number) {
  const { srv, port } = await server(t, slots);
  let firstConnection = 0;
  const accepted = new Promise<void>((resolve) => {
    let n = 0;
    srv.on('connection', () => {
      if (n === 0) firstConnection = performance.now();
      if (++n === count) resolve();
    });
  });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(BURST_CLIENTS, { eval: true, workerData: { port, count, flag } });
  t.teardown(() => worker.terminate());
  const texts = new Promise<string[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await accepted;
  const seen = requestsPerIteration(srv);
  worker.postMessage('write');
  // No gate timer (50 ms from a connection's admission) can have fired before the burst if it starts within 50 ms
  // of the first connection: then only `slots` sockets are reading when it comes.
  const quick = performance.now() - firstConnection < 45;
  Atomics.wait(flag, 0, 0, 5000); // returns at once if the worker was quicker than us
  t.equal(Atomics.load(flag, 0), 1, `all ${count} requests written while the server was blocked`);
  const answers = await texts;
  seen.stop();
  return { texts: answers, seen, quick };
}

t.test('a burst of new connections is parsed at most `slots` requests per loop iteration, none lost', async (t) => {
  const { texts, seen, quick } = await burst(t, 2, 16);
  t.ok(
    texts.every((text, i) => text.endsWith(`/c${i}`)),
    'all 16 answered, each its own',
  );
  if (quick) t.ok(seen.max() <= 2, `at most 2 requests per iteration: ${seen.counts().join(' ')}`);
  else t.comment('the connections took over 45 ms to come in (a loaded machine): a gate timer may have let more in');
});

t.test('the burst is real: without the gate its requests are parsed in one iteration', async (t) => {
  const { seen } = await burst(t, null, 16);
  t.ok(seen.max() > 2, `requests per iteration: ${seen.counts().join(' ')}`);
});

t.test('connections that send nothing give their place up: the next one is served', async (t) => {
  const { port, connections } = await server(t, 2);
  client(t, port, '');
  client(t, port, '');
  for (let i = 0; i < 200 && connections() < 2; i++) await sleep(5);
  t.equal(connections(), 2, 'two idle connections hold both places');
  const text = await client(t, port, '/after-idle').responses(1);
  t.match(text, /\/after-idle$/, 'a connection behind them is answered');
});

t.test('later requests on an open connection are never held behind new connections', async (t) => {
  const { port, connections } = await server(t, 1);
  const kept = client(t, port, '/first', true);
  await kept.responses(1);
  // Ten idle connections take the one place in turn, each for up to 50 ms; a new client waits behind them all.
  for (let i = 0; i < 10; i++) client(t, port, '');
  for (let i = 0; i < 200 && connections() < 11; i++) await sleep(5);
  const order: string[] = [];
  const late = client(t, port, '/new');
  const newAnswered = late.responses(1).then(() => order.push('new connection'));
  for (let n = 2; n <= 4; n++) {
    kept.request(`/again${n}`);
    await kept.responses(n);
    order.push(`kept-alive request ${n}`);
  }
  await newAnswered;
  t.same(
    order,
    ['kept-alive request 2', 'kept-alive request 3', 'kept-alive request 4', 'new connection'],
    'the open connection was answered each time while the new one waited its turn',
  );
});

t.test(
  'an answered connection keeps no listener of the gate; one that closes first still frees its place',
  async (t) => {
    const plain = await server(t, null);
    const gated = await server(t, 1);
    const serverSockets = (srv: http.Server) => {
      const seen: net.Socket[] = [];
      srv.on('connection', (s: net.Socket) => seen.push(s));
      return seen;
    };
    const plainSockets = serverSockets(plain.srv);
    const gatedSockets = serverSockets(gated.srv);
    await client(t, plain.port, '/a', true).responses(1);
    await client(t, gated.port, '/a', true).responses(1);
    // A stream holds its connection for hours: whatever the gate left on it would be kept that long.
    t.equal(
      gatedSockets[0]!.listenerCount('close'),
      plainSockets[0]!.listenerCount('close'),
      'the gated socket has the close listeners of an ungated one',
    );
    // The one place is taken by a connection that closes before sending anything; the next is still served.
    const quitter = client(t, gated.port, '');
    for (let i = 0; i < 200 && gated.connections() < 2; i++) await sleep(5);
    quitter.socket.destroy();
    const text = await client(t, gated.port, '/after-close').responses(1);
    t.match(text, /\/after-close$/);
  },
);

t.test('connections whose requests come late still have them parsed a few per iteration', async (t) => {
  const { srv, port, connections } = await server(t, 2);
  // Twenty clients connect and stay silent past their places, as a storm's clients do while their own loops are busy;
  // then all of them send at once.
  const late = Array.from({ length: 20 }, () => client(t, port, ''));
  for (let i = 0; i < 200 && connections() < 20; i++) await sleep(5);
  await sleep(300);
  const perIteration = requestsPerIteration(srv);
  t.teardown(perIteration.stop);
  late.forEach((c, i) => c.request(`/late${i}`));
  const texts = await Promise.all(late.map((c) => c.responses(1)));
  texts.forEach((text, i) => t.match(text, new RegExp(`/late${i}$`), `late request ${i} answered`));
  // The two places and at most two late readers.
  t.ok(
    perIteration.max() <= 4,
    `at most a few requests parsed in one iteration (max ${perIteration.max()}: ${perIteration.counts().join(',')})`,
  );
});

t.test('a connection that never sends gives up its late place after LATE_PLACE_MS', async (t) => {
  const { port, connections } = await server(t, 1);
  // An idle connection (a browser's speculative preconnect) takes the one late place, then holds it past its time.
  const idle = client(t, port, '');
  for (let i = 0; i < 200 && connections() < 1; i++) await sleep(5);
  await sleep(LATE_PLACE_MS + 300);
  // A silent client, then a queue of thirty more and a marker that sends at once. Each in the queue is let in for
  // 50 ms, so the marker is answered about 1.5 s from now. The silent client's first place runs out at 50 ms: it
  // reads on only if the late place is free again; otherwise it is queued behind the marker.
  const slow = client(t, port, '');
  for (let i = 0; i < 30; i++) client(t, port, '');
  const marker = client(t, port, '/marker');
  await sleep(200);
  const order: string[] = [];
  // In the order the responses arrive (polling for them could see both in one look).
  for (const [name, c] of [
    ['slow', slow],
    ['marker', marker],
  ] as const)
    c.socket.once('data', () => order.push(name));
  slow.request('/slow');
  await Promise.all([slow.responses(1), marker.responses(1)]);
  t.same(order, ['slow', 'marker'], 'the late client read its request at once, ahead of the queue');
  idle.request('/idle-at-last');
  t.match(await idle.responses(1), /\/idle-at-last$/, 'the idle connection is still served when it sends');
});
