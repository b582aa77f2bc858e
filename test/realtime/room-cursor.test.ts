import t from 'tap';
import { encodeEvent, type EncodedEvent } from '../../server/realtime/frame.js';
import { RoomCursor } from '../../server/realtime/room-cursor.js';
import type { RoomEvent, RoomEventType } from '../../server/store/store.js';

/** The room cursor on its own: no sockets, no store. Events are encoded as the hub encodes them. */

function ev(seq: number, type: RoomEventType = 'message.created', payload: Record<string, unknown> = {}) {
  const event: RoomEvent = { roomId: 'r', seq, type, actor: null, at: new Date(0).toISOString(), payload };
  return encodeEvent(event);
}

function cursorAt(after: number, maxHeld = 100) {
  const written: Array<{ seq: number; fromHistory: boolean }> = [];
  const record = (enc: EncodedEvent, fromHistory: boolean) => written.push({ seq: enc.event.seq, fromHistory });
  const cursor = new RoomCursor(after, record, maxHeld);
  return { cursor, written, seqs: () => written.map((w) => w.seq) };
}

t.test('live 5, replay 3-4, live 6, ready: 3, 4, 5, 6 exactly once, then live', async (t) => {
  const { cursor, written, seqs } = cursorAt(2);
  t.ok(cursor.isReplaying, 'a new cursor replays first');
  t.equal(cursor.live(ev(5)), 'held');
  t.equal(cursor.replayed([ev(3), ev(4)]), 2);
  t.equal(cursor.live(ev(6)), 'held');
  t.same(seqs(), [3, 4], 'nothing live goes out before the replay is ready');
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
  t.same(written, [
    { seq: 3, fromHistory: true },
    { seq: 4, fromHistory: true },
    { seq: 5, fromHistory: false },
    { seq: 6, fromHistory: false },
  ]);
  t.equal(cursor.seq, 6);
  t.notOk(cursor.isReplaying);
  t.equal(cursor.live(ev(5)), 'duplicate');
  t.equal(cursor.live(ev(6)), 'duplicate');
  t.equal(cursor.live(ev(7)), 'sent');
  t.same(seqs(), [3, 4, 5, 6, 7], 'each seq once');
});

t.test('duplicates are dropped: a replay overlapping live events, repeated feed deliveries, held twice', async (t) => {
  const { cursor, seqs } = cursorAt(0);
  t.equal(cursor.live(ev(2)), 'held');
  t.equal(cursor.live(ev(2)), 'held', 'held twice (the feed repeated itself)');
  t.equal(cursor.live(ev(3)), 'held');
  // The store read started after 2 and 3 were committed: the replay already has them.
  t.equal(cursor.replayed([ev(1), ev(2), ev(3)]), 3);
  t.equal(cursor.replayed([ev(2), ev(3)]), 0, 'a page read again writes nothing twice');
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
  t.same(seqs(), [1, 2, 3]);
  t.equal(cursor.live(ev(1)), 'duplicate');
  t.same(seqs(), [1, 2, 3]);
});

t.test('a gap while live: the cursor holds the event, replays, and fills the gap in order', async (t) => {
  const { cursor, seqs } = cursorAt(4);
  cursor.replayed([]);
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
  t.equal(cursor.live(ev(5)), 'sent');
  t.equal(cursor.live(ev(7)), 'gap', '6 is missing: the owner must read the store');
  t.ok(cursor.isReplaying);
  t.equal(cursor.live(ev(8)), 'held', 'later events wait behind the gap');
  // The store does not show 6 yet (it arrived late on the feed's side): nothing is skipped.
  t.equal(cursor.replayed([]), 0);
  t.same(cursor.ready(), { state: 'gap', newest: 8 });
  t.same(seqs(), [5], 'nothing written past the gap');
  t.equal(cursor.replayed([ev(6), ev(7)]), 2);
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
  t.same(seqs(), [5, 6, 7, 8]);
});

t.test('a replayed page with a hole stops at the hole instead of skipping', async (t) => {
  const { cursor, seqs } = cursorAt(0);
  t.equal(cursor.replayed([ev(1), ev(3)]), 1);
  t.equal(cursor.seq, 1);
  t.same(seqs(), [1]);
});

t.test('the buffer bound: a replaying cursor holds at most maxHeld live events, then asks for a drop', async (t) => {
  const { cursor, seqs } = cursorAt(0, 3);
  for (const seq of [10, 11, 12]) t.equal(cursor.live(ev(seq)), 'held');
  t.equal(cursor.live(ev(13)), 'overflow');
  t.equal(cursor.live(ev(9)), 'overflow', 'the bound counts held events, whatever their seq');
  t.same(seqs(), []);
});

t.test('skipTo (a reset): held events up to the new position are dropped, later ones still go out', async (t) => {
  const { cursor, seqs } = cursorAt(0);
  t.equal(cursor.live(ev(101)), 'held');
  t.equal(cursor.live(ev(102)), 'held');
  cursor.skipTo(101);
  t.equal(cursor.seq, 101);
  t.equal(cursor.live(ev(100)), 'duplicate');
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
  t.same(seqs(), [102]);
});

t.test('a replayed leave or deletion puts the membership in doubt; a live one is written as live', async (t) => {
  const { cursor, written } = cursorAt(0);
  cursor.replayed([ev(1, 'member.joined'), ev(2, 'member.left', { user: { id: 'u' } })]);
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: true });
  cursor.live(ev(3, 'room.deleted'));
  t.same(written.at(-1), { seq: 3, fromHistory: false });
  const other = cursorAt(0).cursor;
  other.replayed([ev(1, 'member.joined')]);
  t.same(other.ready(), { state: 'live', membershipInDoubt: false });
});

t.test('a cursor closed while writing (its stream ended) writes nothing more', async (t) => {
  const written: number[] = [];
  const cursor: RoomCursor = new RoomCursor(
    0,
    (enc) => {
      written.push(enc.event.seq);
      if (enc.event.seq === 2) cursor.close();
    },
    100,
  );
  for (const seq of [2, 3, 4]) cursor.live(ev(seq));
  cursor.replayed([ev(1)]);
  t.same(cursor.ready(), { state: 'closed' });
  t.same(written, [1, 2]);
  t.equal(cursor.live(ev(5)), 'closed');
  t.equal(cursor.replayed([ev(5)]), 0);
});

t.test('resync: a live cursor replays again; a closed one does not', async (t) => {
  const { cursor } = cursorAt(0);
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
  t.equal(cursor.resync(), true, 'the owner starts a replay');
  t.ok(cursor.isReplaying);
  t.equal(cursor.live(ev(1)), 'held', 'live events wait for the replay');
  cursor.close();
  t.equal(cursor.resync(), false);
});

t.test('resync during a replay: the page under way may predate a lost commit; the store is read again', async (t) => {
  const { cursor, seqs } = cursorAt(0);
  t.equal(cursor.resync(), false, 'a replay is already under way: no second one');
  t.equal(cursor.replayed([ev(1), ev(2)]), 2, 'the page read before the reset');
  t.same(cursor.ready(), { state: 'again' }, 'not live yet');
  t.ok(cursor.isReplaying);
  t.equal(cursor.replayed([ev(3)]), 1, 'the commit the feed lost');
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
  t.same(seqs(), [1, 2, 3]);
});

t.test(
  'a run that follows on is written as one piece; one that does not is refused and replayed event by event',
  async (t) => {
    const { cursor, seqs } = cursorAt(2);
    const runs: number[][] = [];
    const writeRun = (run: readonly EncodedEvent[]) => runs.push(run.map((e) => e.event.seq));
    t.notOk(cursor.replayedRun([ev(4), ev(5)], writeRun), 'a run that starts past the position is refused');
    t.notOk(cursor.replayedRun([ev(3), ev(5)], writeRun), 'a run with a hole is refused');
    t.notOk(cursor.replayedRun([ev(2), ev(3)], writeRun), 'a run that repeats the position is refused');
    t.same(runs, [], 'nothing written for them');
    t.equal(cursor.seq, 2, 'and the position did not move');
    t.ok(cursor.replayedRun([ev(3), ev(4), ev(5)], writeRun), 'a run from the next seq is taken');
    t.same(runs, [[3, 4, 5]], 'written once, as one piece');
    t.equal(cursor.seq, 5, 'the position is its last event');
    t.equal(cursor.live(ev(6)), 'held', 'still replaying: live events wait');
    t.same(cursor.ready(), { state: 'live', membershipInDoubt: false });
    t.same(seqs(), [6], 'the held event follows on, written on its own');
  },
);

t.test('a run with a leave in it leaves the membership in doubt, as event-by-event replay does', async (t) => {
  const { cursor } = cursorAt(0);
  t.ok(cursor.replayedRun([ev(1), ev(2, 'member.left'), ev(3)], () => {}));
  t.same(cursor.ready(), { state: 'live', membershipInDoubt: true });
  const closed = cursorAt(0).cursor;
  closed.close();
  t.notOk(
    closed.replayedRun([ev(1)], () => t.fail('a closed cursor writes nothing')),
    'a closed cursor refuses',
  );
});
