import t from 'tap';
import { ConcurrencyLimit } from '../server/concurrency-limit.js';
import { LOG_READS_AT_ONCE } from '../server/store/mongo/messages.js';

/**
 * ConcurrencyLimit, which bounds the MongoDB store's log reads and the hub's resync (review finding 6: a resync after
 * a lost change-stream position replays every stream's rooms at once). The guarded operations are promises the test
 * settles.
 */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

t.test('at most `limit` operations run at once; the rest start in arrival order as slots free up', async (t) => {
  const gate = new ConcurrencyLimit(3);
  const ops = Array.from({ length: 8 }, () => deferred());
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const results = ops.map((op, i) =>
    gate.run(async () => {
      started.push(i);
      most = Math.max(most, ++running);
      await op.promise;
      running--;
      return i;
    }),
  );
  await turn();
  t.same(started, [0, 1, 2], 'the first three start, the others wait');
  ops[1]!.resolve();
  await turn();
  t.same(started, [0, 1, 2, 3], 'a finished one hands its slot to the oldest waiter');
  for (const op of ops) op.resolve();
  t.same(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7], 'every operation ran and returned its value');
  t.same(started, [0, 1, 2, 3, 4, 5, 6, 7], 'in arrival order');
  t.equal(most, 3, 'never more than three at once');
});

t.test('a failed operation frees its slot and its error reaches its caller only', async (t) => {
  const gate = new ConcurrencyLimit(1);
  const first = deferred();
  const a = gate.run(() => first.promise);
  const b = gate.run(async () => 'b ran');
  first.reject(new Error('read failed'));
  await t.rejects(a, /read failed/, 'the failure is the caller of that operation');
  t.equal(await b, 'b ran', 'the next one still runs');
  t.equal(await gate.run(async () => 'free'), 'free', 'and the gate is free again afterwards');
});

t.test('the log reads of the MongoDB store are bounded by a small gate', async (t) => {
  t.ok(LOG_READS_AT_ONCE >= 1 && LOG_READS_AT_ONCE <= 32, `${LOG_READS_AT_ONCE} log reads at once`);
});
