import t from 'tap';
import { PresenceFanout, type PresenceEvent } from '../../server/realtime/presence-fanout.js';

/** A stream as the fan-out sees it: the presence events it was written. */
class Target {
  readonly events: PresenceEvent[] = [];
  constructor(readonly userId: string) {}
  write(frame: Buffer): void {
    const data = /\ndata: (.*)\n/.exec(frame.toString())![1]!;
    this.events.push(JSON.parse(data) as PresenceEvent);
  }
}

/**
 * A fan-out over a board the test holds (`online`), with a clock the test turns: `tick()` closes every open window.
 * Counts the board reads, which must be one per room per window.
 */
function setup(fullLimit = 3) {
  const board = new Map<string, Set<string>>();
  const channels = new Map<string, Target[]>();
  let timers: Array<{ run: () => void; live: boolean }> = [];
  const reads: string[] = [];
  const fanout = new PresenceFanout<Target>({
    windowMs: 1000,
    fullLimit,
    online: async (roomId) => {
      reads.push(roomId);
      return new Set(board.get(roomId));
    },
    targets: (roomId) => channels.get(roomId),
    report: (err) => {
      throw err;
    },
    schedule: (run) => {
      const timer = { run, live: true };
      timers.push(timer);
      return () => (timer.live = false);
    },
  });
  const follow = (roomId: string, userId: string) => {
    const target = new Target(userId);
    channels.set(roomId, [...(channels.get(roomId) ?? []), target]);
    fanout.joined(roomId, target);
    return target;
  };
  /** The board changes (as a store reports it) and the fan-out hears of it. */
  const set = (roomId: string, userId: string, online: boolean) => {
    const room = board.get(roomId) ?? new Set();
    board.set(roomId, room);
    if (online) room.add(userId);
    else room.delete(userId);
    fanout.changed(roomId, userId, online);
  };
  const tick = async () => {
    const due = timers.filter((x) => x.live);
    timers = [];
    for (const x of due) x.run();
    await new Promise((resolve) => setImmediate(resolve));
  };
  const open = () => timers.filter((x) => x.live).length;
  return { fanout, follow, set, tick, open, reads, board };
}

t.test('a small room: changes in a window are one shared event, flaps collapse to their end state', async (t) => {
  const { follow, set, tick, reads } = setup(10);
  const alice = follow('r', 'alice');
  set('r', 'alice', true);
  await tick();
  t.same(
    alice.events,
    [{ roomId: 'r', online: 1, changes: [{ userId: 'alice', online: true }], complete: true, snapshot: true }],
    'a new stream gets a snapshot of the room',
  );
  alice.events.length = 0;
  reads.length = 0;

  const bob = follow('r', 'bob');
  set('r', 'bob', true);
  set('r', 'carl', true);
  set('r', 'dan', true);
  set('r', 'dan', false); // flapped within the window
  set('r', 'erin', true);
  set('r', 'erin', false);
  set('r', 'erin', true); // flapped and ended online
  await tick();
  t.same(reads, ['r'], 'one board read for the window');
  t.equal(alice.events.length, 1, 'one event for everything that happened in the window');
  t.same(alice.events[0], {
    roomId: 'r',
    online: 4,
    changes: [
      { userId: 'bob', online: true },
      { userId: 'carl', online: true },
      { userId: 'erin', online: true },
    ],
    complete: true,
    snapshot: false,
  });
  t.equal(bob.events.length, 1, 'the newcomer gets one event too');
  t.equal(bob.events[0]!.snapshot, true, 'a snapshot, as it had nothing before');
  t.same(bob.events[0]!.changes.map((c) => c.userId).sort(), ['alice', 'bob', 'carl', 'erin']);

  set('r', 'carl', false);
  set('r', 'carl', true); // back before the window closed: nothing changed
  await tick();
  t.equal(alice.events.length, 1, 'a flap that ends where it started sends nothing');
  set('r', 'carl', false);
  await tick();
  t.same(alice.events.at(-1)!.changes, [{ userId: 'carl', online: false }]);
  t.equal(alice.events.at(-1)!.online, 3);
});

t.test('events are per room, one per room per window; a room without streams here costs nothing', async (t) => {
  const { follow, set, tick, reads, open } = setup(10);
  const a = follow('r1', 'a');
  const b = follow('r2', 'b');
  await tick();
  reads.length = 0;
  for (let i = 0; i < 50; i++) {
    set('r1', `u${i}`, true);
    set('r2', `u${i}`, true);
    set('r3', `u${i}`, true);
  }
  t.equal(open(), 2, 'one window per room with streams');
  await tick();
  t.same(reads.sort(), ['r1', 'r2'], 'one read per room, none for r3');
  t.equal(a.events.length, 2, 'r1: the snapshot and one event');
  t.equal(b.events.length, 2);
  t.equal(a.events[1]!.roomId, 'r1');
  t.equal(a.events[1]!.complete, false, '50 online is over the limit: the room is big now');
});

t.test('a big room: counts to everyone, each watched change only to its watchers', async (t) => {
  const { fanout, follow, set, tick } = setup(3);
  for (const u of ['u1', 'u2', 'u3', 'u4']) set('r', u, true);
  const alice = follow('r', 'alice');
  const alice2 = follow('r', 'alice'); // a second tab
  const bob = follow('r', 'bob');
  set('r', 'alice', true);
  set('r', 'bob', true);
  await tick();
  t.same(
    alice.events[0],
    { roomId: 'r', online: 6, changes: [], complete: false, snapshot: true },
    'a big room: a new stream gets the count, and the room is marked incomplete',
  );

  fanout.watch('r', 'alice', ['u1', 'u2', 'zed']);
  set('r', 'u1', false);
  set('r', 'zed', true);
  await tick();
  const last = (x: Target) => x.events.at(-1)!;
  t.same(
    last(alice),
    {
      roomId: 'r',
      online: 6,
      changes: [
        { userId: 'u1', online: false },
        { userId: 'zed', online: true },
      ],
      complete: false,
      snapshot: false,
    },
    "alice's streams get the changes of the people she watches",
  );
  t.same(last(alice2), last(alice), 'both of her tabs');
  t.equal(bob.events.length, 1, 'bob watches nobody and the count did not move: nothing for him');

  set('r', 'u3', false);
  await tick();
  t.same(last(bob), { roomId: 'r', online: 5, changes: [], complete: false, snapshot: false }, 'the count moved');
  t.same(last(alice).changes, [], 'alice gets the count, not the change of someone she does not watch');

  fanout.resync();
  await tick();
  t.same(
    last(alice),
    {
      roomId: 'r',
      online: 5,
      changes: [
        { userId: 'u1', online: false },
        { userId: 'u2', online: true },
        { userId: 'zed', online: true },
      ],
      complete: false,
      snapshot: true,
    },
    'a resync snapshot: the count and the watched people',
  );
  t.same(last(bob), { roomId: 'r', online: 5, changes: [], complete: false, snapshot: true });

  fanout.forgetUser('r', 'alice');
  t.equal(fanout.watched('r', 'alice'), undefined, 'a user with no stream left has no watch list');
});

t.test('a room that shrinks back under the limit sends everyone the whole picture', async (t) => {
  const { follow, set, tick } = setup(3);
  for (const u of ['u1', 'u2', 'u3', 'u4']) set('r', u, true);
  const alice = follow('r', 'alice');
  await tick();
  t.equal(alice.events.at(-1)!.complete, false);
  set('r', 'u4', false);
  set('r', 'u3', false);
  await tick();
  t.same(alice.events.at(-1), {
    roomId: 'r',
    online: 2,
    changes: [
      { userId: 'u1', online: true },
      { userId: 'u2', online: true },
    ],
    complete: true,
    snapshot: true,
  });
});

t.test('state is dropped with the room; a failed read retries next window', async (t) => {
  const board = new Set(['a']);
  let fail = true;
  const errors: unknown[] = [];
  const timers: Array<() => void> = [];
  const target = new Target('a');
  const fanout = new PresenceFanout<Target>({
    windowMs: 10,
    fullLimit: 5,
    online: async () => {
      if (fail) throw new Error('board down');
      return board;
    },
    targets: () => [target],
    report: (err) => errors.push(err),
    schedule: (run) => {
      timers.push(run);
      return () => {};
    },
  });
  fanout.joined('r', target);
  fanout.changed('r', 'a', true);
  timers.shift()!();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(errors.length, 1, 'the failure is reported');
  t.equal(timers.length, 1, 'and a new window opened');
  fail = false;
  timers.shift()!();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(target.events, [
    { roomId: 'r', online: 1, changes: [{ userId: 'a', online: true }], complete: true, snapshot: true },
  ]);
  t.equal(fanout.size, 1);
  fanout.dropRoom('r');
  t.equal(fanout.size, 0, 'no state for a room nobody follows here');
  fanout.changed('r', 'a', false);
  t.equal(fanout.size, 0, 'nor does a later change create any');
});
