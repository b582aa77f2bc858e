import net from 'node:net';
import t from 'tap';
import { Subscriber, type CloseReason } from '../../server/realtime/subscriber.js';
import {
  FRESH_MS,
  STORM_HOLD_MS,
  STORM_OPENS_PER_S,
  STORM_OPENS_SHARE,
  WriteBatch,
} from '../../server/realtime/write-batch.js';

/** A subscriber on a real loopback TCP connection; the far end collects what arrives. */
async function connected(
  t: { teardown(fn: () => unknown): void },
  maxQueueBytes = 1 << 20,
  flushMs = 0,
  batch = new WriteBatch(flushMs),
) {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  let received = '';
  client.on('data', (chunk) => (received += chunk.toString()));
  client.on('error', () => {}); // a slow subscriber is cut with a reset
  /** Each write handed to the system (its byte count), and the buffers it was given. */
  const writes: number[] = [];
  const written: Buffer[][] = [];
  // The stream's own write and vectored write, which the socket's queue calls: one system call each. The real write
  // still happens.
  const inner = socket as unknown as {
    _write(chunk: Buffer, encoding: string, cb: () => void): void;
    _writev(chunks: { chunk: Buffer }[], cb: () => void): void;
  };
  const write = inner._write.bind(socket);
  const writev = inner._writev.bind(socket);
  inner._write = (chunk, encoding, cb) => {
    writes.push(chunk.length);
    written.push([chunk]);
    write(chunk, encoding, cb);
  };
  inner._writev = (chunks, cb) => {
    writes.push(chunks.reduce((n, c) => n + c.chunk.length, 0));
    written.push(chunks.map((c) => c.chunk));
    writev(chunks, cb);
  };
  const closed: CloseReason[] = [];
  const user = { id: 'u1', username: 'u1', displayName: 'U', gender: null, avatar: null } as never;
  const credential = { sessionId: null, apiTokenId: null };
  const sub = new Subscriber(socket, user, 'room', credential, maxQueueBytes, batch, () => {});
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
  return { sub, socket, client, writes, written, closed, arrived, received: () => received };
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

t.test('frames go to the socket as they are, never copied: a shared replay buffer is written as is', async (t) => {
  const { sub, written, arrived } = await connected(t);
  const run = Buffer.alloc(30_000, 'r');
  const before = frame(1);
  sub.write(before);
  sub.write(run);
  await arrived('r'.repeat(30_000));
  t.equal(written.length, 1, 'one write');
  t.equal(written[0]!.length, 2, 'of both buffers');
  t.ok(
    written[0]![0] === before && written[0]![1] === run,
    'the very buffers queued (a join would have copied the run for every stream)',
  );
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

/** Holds the thread for `ms`, as a pass of socket writes to thousands of streams does. */
const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/** Stands in for a big room's streams in a pass: all the write batch calls is flush(). */
const slowStreams = (ms: number) => ({ flush: () => busy(ms) }) as unknown as Subscriber;

t.test(
  'after a pass that wrote for W ms, what later turns write waits about W ms and leaves in one write',
  async (t) => {
    const batch = new WriteBatch(0, 0); // held after every pass, however busy the thread has been

    const { sub, writes, arrived } = await connected(t, 1 << 20, 0, batch);
    const W = 100;
    const at: number[] = [];
    const write = sub.socket.write.bind(sub.socket) as (chunk: Buffer) => boolean;
    sub.socket.write = ((chunk: Buffer) => (at.push(performance.now()), write(chunk))) as typeof sub.socket.write;

    batch.add(slowStreams(W)); // flushed at the end of this turn: a pass of W ms
    let passEnded = 0;
    queueMicrotask(() => (passEnded = performance.now()));
    // Two turns queued together, so no timer can fire between them: each writes one frame to the stream.
    const seenInSecond = await new Promise<number>((resolve) => {
      setImmediate(() => sub.write(frame(1)));
      setImmediate(() => {
        sub.write(frame(2));
        resolve(writes.length);
      });
    });
    t.equal(seenInSecond, 0, "the first turn's frame was not written at the end of its turn: the pass is held");
    const text = await arrived('id: 2');
    t.equal(text, 'id: 1\ndata: 1\n\nid: 2\ndata: 2\n\n', 'both frames, in order');
    t.equal(writes.length, 1, 'in one socket write, by the next pass');
    // A lower bound with a wide margin: a timer is armed from the loop's cached clock, which may lag a little.
    t.ok(at[0]! - passEnded >= W / 2, `the next pass began ${Math.round(at[0]! - passEnded)} ms after, not before W`);

    sub.write(frame(3));
    await arrived('id: 3');
    t.equal(writes.length, 2, 'a cheap pass after it: the next write is not held again');
  },
);

t.test('passes under a millisecond are never held: each turn is flushed at its end, with no timer', async (t) => {
  const batch = new WriteBatch();
  const { sub, writes, arrived } = await connected(t, 1 << 20, 0, batch);
  const seen: number[] = [];
  await new Promise<void>((resolve) => {
    // Turns queued together: a timer (even of 0 ms) could only fire after all of them.
    for (let i = 1; i <= 5; i++) {
      setImmediate(() => {
        seen.push(writes.length);
        sub.write(frame(i));
        if (i === 5) setImmediate(() => (seen.push(writes.length), resolve()));
      });
    }
  });
  t.same(seen, [0, 1, 2, 3, 4, 5], "each turn's frame was written before the next turn began");
  await arrived('id: 5');
  t.equal(writes.length, 5);
});

t.test('passes are held only while writing has taken over half of the thread', async (t) => {
  const batch = new WriteBatch();
  const { sub, writes, arrived } = await connected(t, 1 << 20, 0, batch);
  /** A pass of `ms`, then a turn that writes one frame: was it written at the end of that turn? */
  const afterPassOf = (ms: number, id: number) => {
    batch.add(slowStreams(ms)); // flushed at the end of this turn
    const before = writes.length;
    return new Promise<boolean>((resolve) => {
      setImmediate(() => sub.write(frame(id)));
      setImmediate(() => resolve(writes.length > before));
    });
  };
  t.ok(await afterPassOf(100, 1), 'a lone pass of 100 ms (a tenth of the last second) holds nothing back');
  t.notOk(await afterPassOf(700, 2), 'after a pass of 700 ms (most of the last second) the next one is held');
  await arrived('id: 2');
  t.pass('and the held frame still arrives');
});

t.test(
  'in a storm of stream opens even a cheap pass is held, but not a young stream, and once the opens stop not',
  async (t) => {
    const batch = new WriteBatch();
    const old = await connected(t, 1 << 20, 0, batch);
    /** Writes one frame, then one more in the next turn: how many writes had gone by then, and in all? */
    const heldAcrossTurns = async (stream: typeof old, id: number) => {
      const start = stream.writes.length;
      stream.sub.write(frame(id)); // its pass (under a millisecond) runs at the end of this turn
      const seen = await new Promise<number>((resolve) => {
        setImmediate(() => {
          stream.sub.write(frame(id + 1));
          resolve(stream.writes.length - start);
        });
      });
      await stream.arrived(`id: ${id + 1}\n`);
      return { writtenBeforeNext: seen, writes: stream.writes.length - start };
    };
    await new Promise((resolve) => setTimeout(resolve, FRESH_MS + 50)); // the stream is no longer young

    t.same(
      await heldAcrossTurns(old, 1),
      { writtenBeforeNext: 1, writes: 2 },
      'no storm: each turn written at its end',
    );

    // Four times the threshold: a storm for about ln 4 = 1.4 s, however slow the machine is meanwhile.
    for (let i = 0; i < 4 * STORM_OPENS_PER_S; i++) batch.streamOpened(1);
    const stormStart = performance.now();
    // The pass that writes frame 3 is the first to see the storm; the one after it is held.
    t.same(
      await heldAcrossTurns(old, 3),
      { writtenBeforeNext: 1, writes: 2 },
      'the pass that finds the storm is not held',
    );
    const at = performance.now();
    t.same(await heldAcrossTurns(old, 5), { writtenBeforeNext: 0, writes: 1 }, 'in the storm: two turns, one write');
    t.ok(performance.now() - at >= STORM_HOLD_MS / 2, 'after about STORM_HOLD_MS');

    const young = await connected(t, 1 << 20, 0, batch);
    t.same(
      await heldAcrossTurns(young, 1),
      { writtenBeforeNext: 1, writes: 2 },
      'a stream opened under FRESH_MS ago is written at the end of each turn all the same',
    );

    // The count decays with a time constant of a second: it falls under the threshold 1.4 s after the opens.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2000 - (performance.now() - stormStart))));
    old.sub.write(frame(7)); // a pass that finds the storm over, so nothing after it is held
    await old.arrived('id: 7\n');
    t.same(
      await heldAcrossTurns(old, 8),
      { writtenBeforeNext: 1, writes: 2 },
      'after the storm: written at once again',
    );
  },
);

t.test('on a server with many streams the same opens are no storm: it takes STORM_OPENS_SHARE of them', async (t) => {
  const batch = new WriteBatch();
  const { sub, writes, arrived } = await connected(t, 1 << 20, 0, batch);
  const streams = 100_000; // a share of them is 25 times the opens below
  for (let i = 0; i < 4 * STORM_OPENS_PER_S; i++) batch.streamOpened(streams);
  t.ok(4 * STORM_OPENS_PER_S < STORM_OPENS_SHARE * streams);
  sub.write(frame(1)); // a pass that would find a storm on a small server
  await arrived('id: 1\n');
  const seen = await new Promise<number>((resolve) => {
    sub.write(frame(2));
    setImmediate(() => {
      sub.write(frame(3));
      resolve(writes.length);
    });
  });
  t.equal(seen, 2, 'the next pass was not held: written at the end of its turn');
});
