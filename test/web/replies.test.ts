import t from 'tap';
import * as T from '../../web/src/state/timeline.js';
import { Threads, repliesOf } from '../../web/src/state/threads.js';
import type { Message, PublicUser, RoomEvent, ThreadSummary } from '../../web/src/types.js';
import { at, message as plainMessage } from './messages.js';

/** The web client's reply and thread state: the timeline reducer's thread.updated and quotes, and the thread panel's
 * store following a room's events. */

const alice: PublicUser = { id: 'u-alice', username: 'alice', displayName: 'Alice', gender: 'female', avatar: null };
const bob: PublicUser = { id: 'u-bob', username: 'bob', displayName: 'Bob', gender: 'male', avatar: null };

function message(seq: number, author: PublicUser, text: string, parent?: Message): Message {
  return {
    ...plainMessage(seq, author, text),
    replyTo: parent ? { seq: parent.seq, author: parent.author, excerpt: parent.text } : null,
    threadSeq: parent ? (parent.threadSeq ?? parent.seq) : null,
  };
}

const event = (seq: number, type: RoomEvent['type'], payload: Record<string, unknown>): RoomEvent => ({
  ...{ roomId: 'r1', seq, type, actor: bob, at: at(seq), payload },
});
const summary = (replies: number): ThreadSummary => ({ replies, lastReplyAt: at(3), participants: [bob] });
const shown = (tl: T.Timeline, seq: number) => {
  const item = tl.items.get(seq);
  return item?.kind === 'message' ? item.message : undefined;
};

t.test('timeline: thread.updated sets the root summary; a parent edit or delete requotes its loaded replies', (t) => {
  const root = message(1, alice, 'root text');
  const reply = message(2, bob, 'a reply', root);
  let tl = T.putMessages(T.emptyTimeline(), [root]);
  tl = T.applyEvent(tl, event(2, 'message.created', { message: reply }), alice.id);
  tl = T.applyEvent(tl, event(3, 'thread.updated', { seq: 1, thread: summary(1) }), alice.id);
  t.same(shown(tl, 1)?.thread, summary(1), 'the root shows its summary');
  t.equal(tl.headSeq, 3, 'the update counts as seen');
  tl = T.applyEvent(tl, event(4, 'message.edited', { message: { ...root, text: 'new text', editedAt: at(4) } }), null);
  t.same(shown(tl, 2)?.replyTo, { seq: 1, author: alice, excerpt: 'new text' }, 'the quote follows the edit');
  tl = T.applyEvent(
    tl,
    event(5, 'message.deleted', { seq: 1, message: { ...root, text: null, deletedAt: at(5) } }),
    null,
  );
  t.same(shown(tl, 2)?.replyTo, { seq: 1, author: null, excerpt: null }, 'and is gone once the parent is deleted');
  tl = T.applyEvent(tl, event(6, 'thread.updated', { seq: 1, thread: null }), null);
  t.equal(shown(tl, 1)?.thread, null, 'no replies left: no summary');
  const unloaded = T.applyEvent(T.emptyTimeline(), event(7, 'thread.updated', { seq: 1, thread: summary(2) }), null);
  t.equal(unloaded.items.size, 0, 'an update for a root that is not loaded adds nothing');
  t.end();
});

t.test('thread panel: follows replies, edits, deletes and summaries of its own thread only', (t) => {
  const threads = new Threads();
  const root = message(1, alice, 'root');
  // Opening fetches pages; without a server here the load fails, which the view reports, and events still apply.
  threads.open('r1', 1, root);
  const r1 = message(2, bob, 'one', root);
  threads.applyEvent(event(2, 'message.created', { message: r1 }));
  threads.applyEvent(event(3, 'message.created', { message: message(3, bob, 'not in the thread') }));
  threads.applyEvent(event(4, 'message.created', { message: message(4, alice, 'two', r1) }));
  threads.applyEvent({
    ...event(5, 'message.created', { message: message(5, bob, 'other room', root) }),
    roomId: 'r2',
  });
  t.same(
    repliesOf(threads.value!).map((m) => m.text),
    ['one', 'two'],
    'replies of this thread, a reply to a reply included',
  );
  threads.applyEvent(event(6, 'thread.updated', { seq: 1, thread: summary(2) }));
  t.same(threads.value!.root?.thread, summary(2));
  threads.applyEvent(event(7, 'message.deleted', { seq: 2, message: { ...r1, text: null, deletedAt: at(7) } }));
  const after = repliesOf(threads.value!);
  t.equal(after[0]!.deletedAt, at(7), 'a deleted reply shows as deleted');
  t.same(after[1]!.replyTo, { seq: 2, author: null, excerpt: null }, 'its replies lose the quote');
  threads.put(message(8, alice, 'my answer', root));
  t.equal(threads.value!.replies.get(8)?.text, 'my answer', 'my POST answer shows before its stream copy');
  threads.close('r2');
  t.ok(threads.value, 'closing another room leaves it open');
  threads.applyEvent(event(9, 'room.deleted', {}));
  t.equal(threads.value, null, 'the room deleted: the panel closes');
  t.end();
});
