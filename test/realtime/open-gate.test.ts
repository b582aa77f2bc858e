import t from 'tap';
import { OpenGate } from '../../server/realtime/open-gate.js';
import { iterationCounter } from '../helpers/iterations.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

t.test('at most perTurn opens go ahead per turn of the event loop, in arrival order', async (t) => {
  const gate = new OpenGate(3);
  const admitted: number[] = [];
  const all = Array.from({ length: 10 }, (_, id) => gate.enter().then(() => admitted.push(id)));
  t.equal(gate.queued, 7, 'three went ahead at once, seven wait');
  for (let i = 0; i < 5; i++) await Promise.resolve();
  t.same(admitted, [0, 1, 2], 'in this turn, only the first three');
  // Each of our turns is queued after the gate's, so it sees what the gate's turn let through.
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    await turn();
    seen.push(admitted.length);
  }
  await Promise.all(all);
  t.same(seen, [6, 9, 10], 'three more per turn');
  t.same(admitted, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'first come, first served');
  t.equal(gate.queued, 0);
});

t.test('other work runs between the batches', async (t) => {
  const gate = new OpenGate(2);
  const order: string[] = [];
  const opens = Array.from({ length: 6 }, (_, i) => gate.enter().then(() => order.push(`open ${i}`)));
  setImmediate(() => order.push('other request'));
  await Promise.all(opens);
  const other = order.indexOf('other request');
  t.ok(other > 0 && other < order.length - 1, `another callback ran in the middle of the storm: ${order.join(', ')}`);
});

/** Holds the thread for `ms`: a turn that carried a big fan-out or a batch of receipts. */
const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/**
 * Queues `count` opens and records, for each, the gate's turn that let it through: a self-rescheduling setImmediate
 * counts the loop's iterations (it and the gate's callback keep their order from one iteration to the next).
 */
function storm(gate: OpenGate, count: number, onOpen: (id: number) => void = () => {}) {
  const iterations = iterationCounter();
  const perIteration = new Map<number, number>();
  /** The gate's batch size in each iteration that let opens through. */
  const sizes = new Map<number, number>();
  const order: number[] = [];
  const all = Array.from({ length: count }, (_, id) =>
    gate.enter().then(() => {
      const iteration = iterations.current();
      perIteration.set(iteration, (perIteration.get(iteration) ?? 0) + 1);
      if (!sizes.has(iteration)) sizes.set(iteration, gate.batchSize);
      order.push(id);
      onOpen(id);
    }),
  );
  const done = Promise.all(all).then(() => {
    iterations.stop();
    return { batches: [...perIteration.values()], sizes: [...sizes.values()], order };
  });
  return done;
}

t.test('quick turns: the batch grows by a quarter a turn, up to the maximum', async (t) => {
  const gate = new OpenGate(64, 20);
  t.equal(gate.batchSize, 16, 'it starts at 16');
  const { batches, sizes, order } = await storm(gate, 2000);
  t.same(sizes.slice(0, 2), [16, 16], 'the opens let in at once, then the first turn: 16 each');
  t.ok(Math.max(...batches) === 64, `later turns let 64 through: ${batches.join(' ')}`);
  t.ok(
    batches.every((n, i) => n <= sizes[i]! && n <= 64),
    'never more than the batch size, nor the maximum',
  );
  // Whatever the machine's load made of each turn, each size after the first turn follows from the one before.
  const grown = (n: number) => Math.min(64, n + Math.max(1, n >> 2));
  const halved = (n: number) => Math.max(4, n >> 1);
  t.ok(
    sizes.slice(2).every((n, i) => n === grown(sizes[i + 1]!) || n === halved(sizes[i + 1]!)),
    `a quarter more, or half, each turn: ${sizes.join(' ')}`,
  );
  t.same(
    order,
    Array.from({ length: 2000 }, (_, i) => i),
    'first come, first served',
  );
});

t.test('a turn over 20 ms halves the batch', async (t) => {
  const gate = new OpenGate(64, 20);
  let before = 0;
  let after = 0;
  let queued = false;
  let stalled = false;
  await storm(gate, 1000, () => {
    if (after > 0) return;
    if (stalled) after = gate.batchSize;
    else if (gate.batchSize >= 20 && !queued) {
      queued = true;
      // Queued behind the gate's next turn (it queued that before letting these opens through): the turn after
      // it begins over 40 ms after it.
      setImmediate(() => {
        before = gate.batchSize;
        busy(40);
        stalled = true;
      });
    }
  });
  t.ok(before >= 20, `it had grown to ${before}`);
  t.equal(after, before >> 1, `the first batch after the long turn is half: ${after}`);
});

t.test('the small batch never goes below 4, nor above a maximum under 16', async (t) => {
  const small = new OpenGate(10, 20);
  t.equal(small.batchSize, 10, 'a maximum under 16 is where it starts');
  const { batches } = await storm(small, 100);
  t.ok(
    batches.every((n) => n <= 10),
    `at most 10 a turn: ${batches.join(' ')}`,
  );

  const gate = new OpenGate(64, 20);
  const sizes: number[] = [];
  await storm(gate, 100, (id) => {
    sizes.push(gate.batchSize);
    if (id % 8 === 0) busy(25); // every turn is long
  });
  t.equal(Math.min(...sizes), 4, 'halved down to 4, not below');
});

t.test('after a quiet spell the batch starts again at 16 at most', async (t) => {
  const gate = new OpenGate(64, 20);
  await storm(gate, 2000);
  t.ok(gate.batchSize > 16, `grown in the storm, to ${gate.batchSize}`);
  for (let i = 0; i < 3; i++) await turn();
  const opened: number[] = [];
  const next = Array.from({ length: 100 }, (_, id) => gate.enter().then(() => opened.push(id)));
  t.equal(gate.queued, 84, 'the next storm: 16 go ahead in its first turn, the rest wait');
  await Promise.all(next);
  t.equal(opened.length, 100);
});
