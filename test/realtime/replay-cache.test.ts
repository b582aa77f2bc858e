import t from 'tap';
import { encodeEvent } from '../../server/realtime/frame.js';
import { ReplayCache } from '../../server/realtime/replay-cache.js';
import type { RoomEvent, RoomEventType } from '../../server/store/store.js';

/** The replay cache on its own: events as the hub encodes them, no sockets, no store. */

function ev(seq: number, type: RoomEventType = 'message.created', roomId = 'r', text = `m${seq}`) {
  const event: RoomEvent = { roomId, seq, type, actor: null, at: new Date(0).toISOString(), payload: { text } };
  return encodeEvent(event);
}
const seqs = (page: { events: ReturnType<typeof ev>[] } | null) => page?.events.map((e) => e.event.seq) ?? null;
const run = (from: number, to: number, roomId = 'r') =>
  Array.from({ length: to - from + 1 }, (_, i) => ev(from + i, 'message.created', roomId));

t.test('events from the feed: served after any position they cover, up to the head', async (t) => {
  const cache = new ReplayCache(100, 1 << 20);
  for (const e of run(5, 9)) cache.append(e);
  t.same(seqs(cache.read('r', 4, 100)), [5, 6, 7, 8, 9], 'from just before the first');
  t.same(seqs(cache.read('r', 6, 2)), [7, 8], 'at most limit');
  t.equal(cache.read('r', 6, 100)!.atHead, true, 'reaching the newest event the feed brought is the head');
  t.equal(cache.read('r', 6, 2)!.atHead, false, 'a page cut by the limit is not');
  t.same(cache.read('r', 9, 100), { events: [], atHead: true }, 'at the head: nothing more, and live from here');
  t.equal(cache.read('r', 3, 100), null, 'seq 4 is not held: the store must be read');
  t.equal(cache.read('r', 10, 100), null, 'a position past what this instance has seen is not answered here');
  t.equal(cache.read('other', 0, 100), null, 'another room');
  cache.append(ev(7));
  t.same(seqs(cache.read('r', 4, 100)), [5, 6, 7, 8, 9], 'an event seen again changes nothing');
});

t.test('a gap in the feed starts the copy again: it never serves a run with a hole', async (t) => {
  const cache = new ReplayCache(100, 1 << 20);
  for (const e of run(1, 3)) cache.append(e);
  cache.append(ev(5));
  t.equal(cache.read('r', 2, 100), null, 'positions before the gap go to the store');
  t.same(seqs(cache.read('r', 4, 100)), [5]);
});

t.test('an edit or delete drops the copies it redacted, and store pages read before it are not added', async (t) => {
  for (const type of ['message.edited', 'message.deleted'] as const) {
    const cache = new ReplayCache(100, 1 << 20);
    for (const e of run(1, 5)) cache.append(e);
    const before = cache.version;
    cache.append(ev(6, type));
    t.equal(cache.read('r', 0, 100), null, `${type}: the old copies are gone`);
    t.same(seqs(cache.read('r', 5, 100)), [6], `${type}: the new event starts the copy`);
    t.not(cache.version, before, `${type}: the version moved`);
    cache.fill('r', run(1, 5), before, false);
    t.equal(cache.read('r', 0, 100), null, `${type}: a page read before the redaction is not kept`);
    cache.fill('r', run(1, 5), cache.version, false);
    t.same(seqs(cache.read('r', 0, 100)), [1, 2, 3, 4, 5, 6], `${type}: a page read after it joins up`);
  }
  const cache = new ReplayCache(100, 1 << 20);
  for (const e of run(1, 3)) cache.append(e);
  cache.append(ev(4, 'room.deleted'));
  t.equal(cache.read('r', 0, 100), null, 'a deleted room keeps nothing');
  t.equal(cache.read('r', 3, 100), null);
});

t.test('store pages join the copy only where they meet it; a page alone never claims the head', async (t) => {
  const cache = new ReplayCache(100, 1 << 20);
  cache.fill('r', run(1, 4), cache.version, false);
  t.same(seqs(cache.read('r', 0, 100)), [1, 2, 3, 4]);
  t.equal(cache.read('r', 0, 100)!.atHead, false, 'a full page: the store may hold more, read it again after');
  t.same(cache.read('r', 4, 100), { events: [], atHead: false }, 'at the end of a page: not known to be the head');
  cache.append(ev(5));
  t.equal(cache.read('r', 0, 100)!.atHead, true, 'the feed carried it on: now it reaches the head');

  const other = new ReplayCache(100, 1 << 20);
  for (const e of run(10, 12)) other.append(e);
  other.fill('r', run(1, 5), other.version, true);
  t.equal(other.read('r', 0, 100), null, 'a page that ends before the copy begins would leave a hole: not kept');
  other.fill('r', run(6, 11), other.version, false);
  t.same(seqs(other.read('r', 5, 100)), [6, 7, 8, 9, 10, 11, 12], 'a page that meets it joins it');
});

t.test(
  'a short page (the store had no more) starts a copy that reaches the head, unless the cache lost rooms meanwhile',
  async (t) => {
    const cache = new ReplayCache(100, 1 << 20);
    cache.fill('r', run(1, 4), cache.version, true);
    t.same(cache.read('r', 4, 100), { events: [], atHead: true }, 'the readers after it need not ask the store again');
    cache.append(ev(5));
    t.same(seqs(cache.read('r', 4, 100)), [5], 'the feed carries it on');

    const frame = ev(1, 'message.created', 'a').frame.length;
    const small = new ReplayCache(100, frame * 2);
    const version = small.version;
    for (const e of run(1, 2, 'a')) small.append(e);
    small.append(ev(1, 'message.created', 'b')); // evicts room a: what the feed brought of it is no longer known here
    small.fill('a', run(1, 1, 'a'), version, true);
    t.equal(small.read('a', 1, 100)!.atHead, false, 'after an eviction a page alone does not claim the head');
  },
);

t.test('bounded per room and in bytes; the least recently used room goes first', async (t) => {
  const perRoom = new ReplayCache(3, 1 << 20);
  for (const e of run(1, 10)) perRoom.append(e);
  t.equal(perRoom.read('r', 6, 100), null, 'older than the last three: gone');
  t.same(seqs(perRoom.read('r', 7, 100)), [8, 9, 10]);

  const frame = ev(1, 'message.created', 'a').frame.length;
  const bytes = new ReplayCache(100, frame * 5);
  for (const e of run(1, 2, 'a')) bytes.append(e);
  for (const e of run(1, 2, 'b')) bytes.append(e);
  bytes.read('a', 0, 100); // a is now the most recently used
  for (const e of run(1, 2, 'c')) bytes.append(e);
  t.equal(bytes.read('b', 0, 100), null, 'b, least recently used, made room');
  t.same(seqs(bytes.read('a', 0, 100)), [1, 2]);
  t.same(seqs(bytes.read('c', 0, 100)), [1, 2]);
  t.ok(bytes.size.bytes <= frame * 5, 'within its bytes');

  const off = new ReplayCache(100, 0);
  off.append(ev(1));
  off.fill('r', run(1, 3), off.version, true);
  t.equal(off.read('r', 0, 100), null, 'REPLAY_CACHE_MB=0 keeps nothing');
});

t.test('a reset of the feed clears everything', async (t) => {
  const cache = new ReplayCache(100, 1 << 20);
  for (const e of run(1, 3)) cache.append(e);
  const before = cache.version;
  cache.clear();
  t.equal(cache.read('r', 0, 100), null);
  t.not(cache.version, before);
  t.same(cache.size, { rooms: 0, bytes: 0 });
});
