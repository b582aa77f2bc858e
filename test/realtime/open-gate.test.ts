import t from 'tap';
import { OpenGate } from '../../server/realtime/open-gate.js';

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
