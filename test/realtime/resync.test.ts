import path from 'node:path';
import t from 'tap';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { EventFeed, FeedListener, PresenceBoard, PresenceChange, RoomEvent } from '../../server/store/store.js';
import type { Store } from '../../server/store/store.js';
import { join, newRoom, newUser, post, startApp, stream, tempDir, type TestApp } from '../helpers/app.js';
import type { SseEvent } from '../helpers/sse.js';
import { presenceEvents, statesOf } from '../helpers/presence.js';

/**
 * After the feed reports a gap (`reset`), every stream catches up from the store. The store here is the real SQLite
 * store seen through a wrapper at the Store interface: while `dropping`, its feed loses events and its presence
 * board loses changes, as a change stream that lost its position would; `reset()` is the feed's gap report.
 */
class GappyStore {
  dropping = false;
  readonly dropped: RoomEvent[] = [];
  readonly droppedPresence: PresenceChange[] = [];
  /** While set, each eventsAfter read waits for it after reading (a replay whose read predates later commits). */
  gate: Promise<void> | null = null;
  readonly gatedReads: number[] = [];
  inFlightReads = 0;
  maxInFlightReads = 0;
  readonly store: Store;
  private readonly resetListeners = new Set<() => void>();

  constructor(readonly inner: SqliteStore) {
    const feed: EventFeed = {
      onEvent: (listener: FeedListener) =>
        inner.feed.onEvent((event) => {
          if (this.dropping) this.dropped.push(event);
          else listener(event);
        }),
      onReset: (listener) => {
        this.resetListeners.add(listener);
        return () => this.resetListeners.delete(listener);
      },
      get live() {
        return inner.feed.live;
      },
    };
    const presence: PresenceBoard = {
      set: (roomId, user, here) => inner.presence.set(roomId, user, here),
      online: (roomId) => inner.presence.online(roomId),
      onChange: (listener) =>
        inner.presence.onChange((change) => {
          if (this.dropping) this.droppedPresence.push(change);
          else listener(change);
        }),
    };
    const eventsAfter = async (roomId: string, after: number, limit: number) => {
      this.maxInFlightReads = Math.max(this.maxInFlightReads, ++this.inFlightReads);
      try {
        // A turn of the event loop per read, so reads started together overlap as they would on a networked store.
        await new Promise((resolve) => setImmediate(resolve));
        const events = await inner.eventsAfter(roomId, after, limit);
        const gate = this.gate;
        if (gate) {
          this.gatedReads.push(after);
          await gate;
        }
        return events;
      } finally {
        this.inFlightReads--;
      }
    };
    const overrides: Record<string | symbol, unknown> = { feed, presence, eventsAfter };
    this.store = new Proxy(inner, {
      get(target, prop) {
        if (prop in overrides) return overrides[prop];
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as unknown as Store;
  }

  reset(): void {
    for (const listener of this.resetListeners) listener();
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function startGappy(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string> = {},
): Promise<{ srv: TestApp; gap: GappyStore }> {
  const dataDir = tempDir();
  const inner = new SqliteStore({ file: path.join(dataDir, 'parley.db'), synchronous: 'NORMAL' });
  const gap = new GappyStore(inner);
  const srv = await startApp({ store: gap.store, dataDir, env });
  t.teardown(async () => {
    await srv.close();
    await inner.close();
  });
  return { srv, gap };
}

const texts = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'message.created').map((e) => e.json.payload.message.text as string);

t.test('a user stream picks up a room joined while the feed was losing events, with all it missed', async (t) => {
  const { srv, gap } = await startGappy(t);
  const alice = await newUser(srv.url);
  const bob = await newUser(srv.url);
  const mine = await newRoom(srv.url, alice, { name: 'mine' });
  const theirs = await newRoom(srv.url, bob, { name: 'theirs', kind: 'public' });
  const events = await stream(srv.url, '/api/events', { token: alice.token });
  t.teardown(() => events.close());
  await events.waitForEphemeral((e) => e.some((x) => x.event === 'receipt' && x.json.roomId === mine.id));

  gap.dropping = true;
  await post(srv.url, alice, mine.id, 'lost in mine');
  await join(srv.url, alice, theirs.id);
  await post(srv.url, bob, theirs.id, 'lost in theirs');
  await until('the feed to drop the three events', () => gap.dropped.length === 3);
  gap.dropping = false;
  gap.reset();
  await post(srv.url, bob, theirs.id, 'after the reset');

  await events.waitFor((e) => texts(e).includes('after the reset') && texts(e).includes('lost in mine'), 5000);
  const inTheirs = events.stored().filter((e) => e.json.roomId === theirs.id);
  t.same(
    inTheirs.map((e) => [e.event, e.json.seq]),
    [
      ['member.joined', 2],
      ['message.created', 3],
      ['message.created', 4],
    ],
    'the join, the post lost in the gap and the next one, once each and in order',
  );
  t.same(texts(events.stored().filter((e) => e.json.roomId === mine.id)), ['lost in mine']);
  t.match(events.lastId(), new RegExp(`${theirs.id}:4`), 'the cursor carries the new room');
});

t.test('a stream that was replaying when the reset came goes live with the commit the feed lost', async (t) => {
  // Without the replay cache, so the replay reads the store (and can be caught in the middle of its read).
  const { srv, gap } = await startGappy(t, { REPLAY_CACHE_MB: '0' });
  const alice = await newUser(srv.url);
  const room = await newRoom(srv.url, alice);
  for (const text of ['one', 'two', 'three']) await post(srv.url, alice, room.id, text);

  let open!: () => void;
  gap.gate = new Promise((resolve) => (open = resolve));
  const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: '0' });
  t.teardown(() => s.close());
  // The replay has read seq 1-4 and waits; meanwhile seq 5 is committed and the feed loses it.
  await until('the replay to read the store', () => gap.gatedReads.length === 1);
  gap.gate = null;
  gap.dropping = true;
  await post(srv.url, alice, room.id, 'lost');
  await until('the feed to drop the post', () => gap.dropped.length === 1);
  gap.dropping = false;
  gap.reset();
  open();

  // No later post: the stream must get seq 5 from the store by itself.
  await s.waitFor((e) => e.length >= 5, 5000, 'seq 5 without a later post');
  t.same(
    s.stored().map((e) => e.id),
    ['1', '2', '3', '4', '5'],
  );
});

t.test('a user who came online while presence changes were lost is announced after the reset', async (t) => {
  const { srv, gap } = await startGappy(t);
  const alice = await newUser(srv.url);
  const bob = await newUser(srv.url);
  const room = await newRoom(srv.url, alice, { kind: 'public' });
  await join(srv.url, bob, room.id);
  const watcher = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token });
  t.teardown(() => watcher.close());
  // Her stream's first presence event (a snapshot of the room: only her) is out before bob connects.
  await watcher.waitForEphemeral((e) => presenceEvents(e).length === 1);

  gap.dropping = true;
  const bobs = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: bob.token });
  t.teardown(() => bobs.close());
  await until('the board to report bob online (and the wrapper to lose it)', () =>
    gap.droppedPresence.some((c) => c.user.id === bob.id && c.online),
  );
  gap.dropping = false;
  gap.reset();

  const online = (e: SseEvent[]) =>
    e.some((x) => x.event === 'presence' && x.json.snapshot && statesOf([x], bob.id).includes(true));
  await watcher.waitForEphemeral(online, 5000, 'bob online');
  t.ok(online(watcher.ephemeral), 'alice learns that bob is online, from a snapshot of the room');
  const snapshots = presenceEvents(watcher.ephemeral).filter((x) => x.json.snapshot);
  t.same(snapshots.at(-1)!.json.online, 2, 'one event for the room, with its count');
});

t.test("a reset re-reads every stream's rooms with a bounded number of store reads at once", async (t) => {
  const { srv, gap } = await startGappy(t);
  const alice = await newUser(srv.url);
  const rooms = [];
  for (let i = 0; i < 30; i++) rooms.push(await newRoom(srv.url, alice, { name: `room ${i}` }));
  const events = await stream(srv.url, '/api/events', { token: alice.token });
  t.teardown(() => events.close());
  await events.waitForEphemeral((e) => e.filter((x) => x.event === 'receipt').length === rooms.length);

  gap.dropping = true;
  for (const room of rooms) await post(srv.url, alice, room.id, `lost in ${room.name}`);
  await until('the feed to drop every post', () => gap.dropped.length === rooms.length);
  gap.dropping = false;
  await until('reads to settle', () => gap.inFlightReads === 0);
  gap.maxInFlightReads = 0;
  gap.reset();

  await events.waitFor((e) => texts(e).length === rooms.length, 10_000, 'every lost post');
  t.same(texts(events.stored()).sort(), rooms.map((r) => `lost in ${r.name}`).sort(), 'each lost post once');
  t.ok(gap.maxInFlightReads > 0, 'the resync read the store');
  t.ok(gap.maxInFlightReads <= 8, `at most 8 replay reads at once (saw ${gap.maxInFlightReads})`);
});
