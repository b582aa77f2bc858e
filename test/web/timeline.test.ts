import t from 'tap';
import * as T from '../../web/src/state/timeline.js';
import type { Message, PublicUser, RoomEvent } from '../../web/src/types.js';
import { at, message } from './messages.js';

/** The web client's timeline reducer: pure functions from one timeline value to the next. */

const alice: PublicUser = { id: 'u-alice', username: 'alice', displayName: 'Alice', gender: 'female', avatar: null };
const bob: PublicUser = { id: 'u-bob', username: 'bob', displayName: 'Bob', gender: 'male', avatar: null };

function event(
  seq: number,
  type: RoomEvent['type'],
  payload: Record<string, unknown>,
  actor: PublicUser | null = alice,
): RoomEvent {
  return { roomId: 'r1', seq, type, actor, at: at(seq), payload };
}

const created = (m: Message) => event(m.seq, 'message.created', { message: { ...m, seq: 0 } }, m.author);
const pending = (localId: string, clientId: string, text: string): T.PendingMessage => ({
  localId,
  clientId,
  roomId: 'r1',
  text,
  attachments: [],
  createdAt: at(99),
  status: 'pending',
});
const seqs = (tl: T.Timeline) => T.itemsOf(tl).map((i) => `${i.kind[0]}${i.seq}`);

t.test('messages and events merge by seq, whatever the order and however often they come', async (t) => {
  const page = [message(3, bob, 'three'), message(1, alice, 'one')];
  let tl = T.putMessages(T.emptyTimeline(), page);
  tl = T.applyEvent(tl, created(message(4, alice, 'four')), alice.id);
  tl = T.applyEvent(tl, event(2, 'member.joined', { user: bob }, bob), alice.id);
  tl = T.applyEvent(tl, created(message(4, alice, 'four')), alice.id);
  tl = T.putMessages(tl, page);
  t.same(seqs(tl), ['m1', 'a2', 'm3', 'm4'], 'one line per seq, in seq order');
  t.equal(tl.headSeq, 4);
  const live = T.itemsOf(tl)[3]!;
  t.ok(
    live.kind === 'message' && live.message.seq === 4 && live.message.roomId === 'r1',
    "a live message takes its event's seq",
  );
  t.same(
    seqs(
      T.putActivity(tl, [
        event(5, 'member.updated', { user: bob }),
        event(6, 'room.updated', { changed: ['topic'], topic: 'x' }),
      ]),
    ),
    ['m1', 'a2', 'm3', 'm4', 'a6'],
    'the log adds the events that show a line',
  );
});

t.test('the functions are pure: the input timeline is never changed', async (t) => {
  const before = T.putMessages(T.emptyTimeline(), [message(1, alice, 'one')]);
  const snapshot = JSON.stringify({ items: [...before.items], pending: before.pending, head: before.headSeq });
  const after = T.applyEvent(before, created(message(2, bob, 'two')), alice.id);
  T.addPending(before, pending('l1', 'k1', 'hi'));
  T.markDeleted(before, 1, at(5));
  T.applyProfile(before, { ...alice, displayName: 'Alicia' });
  t.equal(JSON.stringify({ items: [...before.items], pending: before.pending, head: before.headSeq }), snapshot);
  t.not(after, before, 'a change is a new value');
  t.equal(
    T.applyEvent(after, event(3, 'member.updated', { user: bob }), alice.id).items,
    after.items,
    'an event without a line keeps the items',
  );
});

t.test('my post: its stream copy replaces the pending one by client key, even once shown as failed', async (t) => {
  let tl = T.addPending(T.emptyTimeline(), pending('l1', 'key-1', 'hello'));
  tl = T.addPending(tl, pending('l2', 'key-2', 'hello'));
  tl = T.failPending(tl, 'l1', 'the connection failed');
  t.equal(tl.pending[0]!.status, 'failed');
  // Same text, other key: not mine to replace. Then the copy of l1 (its POST answer was lost) arrives.
  tl = T.applyEvent(tl, created(message(7, alice, 'hello', 'key-2')), alice.id);
  t.same(
    tl.pending.map((p) => p.localId),
    ['l1'],
    'the copy with key-2 replaced l2 only',
  );
  tl = T.applyEvent(tl, created(message(8, alice, 'hello', 'key-1')), alice.id);
  t.same(tl.pending, [], 'the failed one was stored after all: replaced');
  t.ok(tl.confirmed.has(7) && tl.confirmed.has(8));
  const other = T.applyEvent(
    T.addPending(T.emptyTimeline(), pending('l3', 'key-3', 'x')),
    created(message(9, bob, 'x', 'key-3')),
    alice.id,
  );
  t.equal(other.pending.length, 1, "someone else's message never replaces mine");
  const keyless = T.applyEvent(
    T.addPending(T.emptyTimeline(), pending('l4', 'key-4', 'x')),
    created(message(10, alice, 'x', null)),
    alice.id,
  );
  t.equal(keyless.pending.length, 1, 'a message without a key (posted elsewhere) is not taken for mine');
});

t.test(
  'a confirmed post is not matched twice, and a post that failed after its copy arrived stays stored',
  async (t) => {
    let tl = T.addPending(T.emptyTimeline(), pending('l1', 'key-1', 'twice'));
    tl = T.confirmPost(tl, 'l1', message(5, alice, 'twice', 'key-1'));
    tl = T.addPending(tl, pending('l2', 'key-1', 'twice'));
    tl = T.applyEvent(tl, created(message(5, alice, 'twice', 'key-1')), alice.id);
    t.same(
      tl.pending.map((p) => p.localId),
      ['l2'],
      'the stream copy of an answered post leaves the others',
    );
    const settled = T.settledPosts(T.addPending(T.emptyTimeline(), pending('l9', 'k', 'a')), T.emptyTimeline());
    t.same(
      settled.map((p) => p.localId),
      ['l9'],
      'settledPosts names what left (to release its previews)',
    );
    t.equal(
      T.failPending(T.emptyTimeline(), 'gone', 'late error').pending.length,
      0,
      'a late failure of a replaced post changes nothing',
    );
  },
);

t.test('edits, deletions, profiles and a restart', async (t) => {
  let tl = T.putMessages(T.emptyTimeline(), [message(1, bob, 'hi'), message(2, alice, 'yo')]);
  tl = T.applyEvent(
    tl,
    event(3, 'message.edited', { message: { ...message(1, bob, 'hi!'), editedAt: at(3) } }, bob),
    alice.id,
  );
  tl = T.applyEvent(
    tl,
    event(4, 'message.deleted', { message: { ...message(30, bob, null as never) } }, bob),
    alice.id,
  );
  const first = T.itemsOf(tl)[0]!;
  t.ok(first.kind === 'message' && first.message.text === 'hi!', 'an edit replaces the text');
  t.equal(T.itemsOf(tl).length, 2, 'an edit of a message not loaded adds nothing');
  tl = T.markDeleted(tl, 2, at(5));
  const second = T.itemsOf(tl)[1]!;
  t.ok(second.kind === 'message' && second.message.deletedAt && second.message.text === null, 'deleted locally');
  tl = T.applyProfile(tl, { ...bob, displayName: 'Robert' });
  t.equal(
    (T.itemsOf(tl)[0] as { message: Message }).message.author.displayName,
    'Robert',
    'authors take the new profile',
  );
  t.equal(T.lastOwnMessage(tl, bob.id)?.seq, 1, 'the last own message that can be edited');
  t.equal(T.lastOwnMessage(tl, alice.id), undefined, 'not a deleted one');
  const restarted = T.restart(T.addPending({ ...tl, loaded: true }, pending('l1', 'k', 'wait')));
  t.same(
    [restarted.items.size, restarted.loaded, restarted.pending.length],
    [0, false, 1],
    'a restart keeps only what is being sent',
  );
  t.equal(T.oldestMessageSeq(tl), 1);
});
