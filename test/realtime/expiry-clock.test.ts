import t from 'tap';
import { ExpiryClock } from '../../server/realtime/expiry-clock.js';

/** A clock whose expiries are recorded with the time they happened. */
function recording() {
  const expired: { item: string; at: number }[] = [];
  const clock = new ExpiryClock<string>((item) => expired.push({ item, at: Date.now() }));
  const until = async (n: number, ms = 5000) => {
    const end = Date.now() + ms;
    while (expired.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  };
  return { clock, expired, until };
}

t.test('items expire once their deadline has passed, never before it, at most a second after', async (t) => {
  const { clock, expired, until } = recording();
  t.teardown(() => clock.stop());
  const start = Date.now();
  const deadlines = { a: start + 300, b: start + 1200, c: start + 50 };
  for (const [item, at] of Object.entries(deadlines)) clock.add(item, at);
  t.equal(clock.size, 3);
  await until(3);
  t.same(expired.map((e) => e.item).sort(), ['a', 'b', 'c'], 'each expired');
  for (const { item, at } of expired) {
    const due = deadlines[item as keyof typeof deadlines];
    t.ok(at >= due, `${item} not early (${at - due} ms after its deadline)`);
    t.ok(at - due <= 1100, `${item} within a second of its deadline (${at - due} ms)`);
  }
  t.ok(
    expired.findIndex((e) => e.item === 'b') > expired.findIndex((e) => e.item === 'c'),
    'the later deadline expires after the earlier one',
  );
  t.equal(clock.size, 0, 'nothing left scheduled');
});

t.test('a cancelled item never expires; others of its second still do', async (t) => {
  const { clock, expired, until } = recording();
  t.teardown(() => clock.stop());
  const at = Date.now() + 100;
  const kept = clock.add('kept', at);
  const dropped = clock.add('dropped', at);
  t.equal(kept, dropped, 'the same second shares one set');
  clock.cancel('dropped', dropped);
  await until(1);
  await new Promise((r) => setTimeout(r, 200));
  t.same(
    expired.map((e) => e.item),
    ['kept'],
  );
});

t.test('an earlier deadline added after a later one is not held back by it', async (t) => {
  const { clock, expired, until } = recording();
  t.teardown(() => clock.stop());
  const start = Date.now();
  clock.add('late', start + 60_000);
  clock.add('soon', start + 100);
  await until(1, 3000);
  t.same(
    expired.map((e) => e.item),
    ['soon'],
  );
  t.equal(clock.size, 1, 'the late one still waits');
});

t.test('a past deadline expires at once, and an item added by an expiry is served too', async (t) => {
  const expired: string[] = [];
  const clock: ExpiryClock<string> = new ExpiryClock<string>((item) => {
    expired.push(item);
    if (item === 'first') clock.add('added', Date.now() - 1);
  });
  t.teardown(() => clock.stop());
  clock.add('first', Date.now() - 5000);
  const end = Date.now() + 3000;
  while (expired.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  t.same(expired, ['first', 'added']);
});
