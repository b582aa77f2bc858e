import { execFileSync } from 'node:child_process';
import t from 'tap';
import { newRoom, newUser, post, startApp, stream } from '../helpers/app.js';
import { startTail } from '../helpers/process.js';
import type { SseStream } from '../helpers/sse.js';

/**
 * A stream's first id is its position (the room head, or the cursor of every room), sent right after `retry:`, so a
 * client that drops before the first stored event still resumes where it stopped.
 */

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const texts = (s: SseStream) =>
  s
    .stored()
    .filter((e) => e.event === 'message.created')
    .map((e) => e.json.payload.message.text);

t.test('a fresh room stream carries its position at once: a drop before any event misses nothing', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  await post(srv.url, alice, room.id, 'before');
  const first = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token });
  // The receipt notice comes once the stream is live; no stored event has been sent.
  await first.waitForEphemeral((e) => e.some((x) => x.event === 'receipt'));
  t.same(first.stored(), []);
  t.equal(first.lastId(), '2', 'the room head, as the id a reconnect sends');
  first.close();

  for (const text of ['one', 'two', 'three']) await post(srv.url, alice, room.id, text);
  const resume = { token: alice.token, lastEventId: first.lastId() };
  const again = await stream(srv.url, `/api/rooms/${room.id}/events`, resume);
  t.teardown(() => again.close());
  await again.waitFor(() => texts(again).length === 3, 5000, 'the three posts made while disconnected');
  t.same(texts(again), ['one', 'two', 'three']);
});

t.test('a fresh /api/events stream carries its cursor at once: a reconnect resumes every room', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const a = await newRoom(srv.url, alice, { name: 'a' });
  const b = await newRoom(srv.url, alice, { name: 'b' });
  const first = await stream(srv.url, '/api/events', { token: alice.token });
  await first.waitForEphemeral((e) => e.filter((x) => x.event === 'receipt').length === 2);
  t.same(first.stored(), []);
  t.same(first.lastId()?.split(',').sort(), [`${a.id}:1`, `${b.id}:1`].sort(), 'every room at its head');
  first.close();

  await post(srv.url, alice, a.id, 'in a');
  await post(srv.url, alice, b.id, 'in b');
  const again = await stream(srv.url, '/api/events', { token: alice.token, lastEventId: first.lastId() });
  t.teardown(() => again.close());
  await again.waitFor(() => texts(again).length === 2, 5000, 'the posts made while disconnected');
  t.same(texts(again).sort(), ['in a', 'in b']);
});

t.test("parley-tail started at the head resumes from the stream's position after a drop", async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  const tail = startTail(t, ['--raw', room.id], srv.url, alice.token);
  await until('the tail to be live', () => tail.output().includes('event: receipt\n'));

  // Drop the connection: end the tail's curl (its own child), as a network failure would.
  const curl = execFileSync('pgrep', ['-P', String(tail.child.pid), '-x', 'curl'], { encoding: 'utf8' }).trim();
  process.kill(Number(curl), 'SIGTERM');
  await until('the server to see the drop', () => srv.app.hub.size === 0);
  await post(srv.url, alice, room.id, 'posted while the tail was away');
  await until('the tail to print the post', () => tail.output().includes('posted while the tail was away'));
  t.match(tail.output(), /id: 2\nevent: message\.created\n/, 'the post, from the position the tail had');
});
