import t from 'tap';
import * as T from '../../web/src/state/timeline.js';
import type { Message, PublicUser, RoomEvent } from '../../web/src/types.js';
import { at, message } from './messages.js';

/** The timeline reducer away from the live end: a window around a linked message, paged newer back to the end. */

const ann: PublicUser = { id: 'u-ann', username: 'ann', displayName: 'Ann', gender: 'female', avatar: null };
const msg = (seq: number, text = `m${seq}`): Message => message(seq, ann, text);
const ev = (seq: number, type: RoomEvent['type'], payload: Record<string, unknown>): RoomEvent => ({
  roomId: 'r1',
  seq,
  type,
  actor: ann,
  at: at(seq),
  payload,
});
const seqs = (tl: T.Timeline) => T.itemsOf(tl).map((i) => i.seq);

t.test('a window around a message replaces the loaded one and ignores new lines until paged to the end', async (t) => {
  let tl = T.putMessages({ ...T.emptyTimeline(), loaded: true }, [msg(90), msg(91)]);
  tl = T.startAt(tl, { messages: [msg(10), msg(11), msg(12)], hasMoreBefore: true, hasMoreAfter: true });
  t.same(seqs(tl), [10, 11, 12], 'the window replaced the newest page');
  t.same([tl.hasMore, tl.hasNewer, tl.pagedTo, tl.headSeq], [true, true, 12, 91]);

  tl = T.applyEvent(tl, ev(95, 'message.created', { message: msg(95) }), null);
  tl = T.applyEvent(tl, ev(96, 'member.joined', { user: ann }), null);
  t.same(seqs(tl), [10, 11, 12], 'live lines are not added away from the live end (no gap)');
  t.equal(tl.headSeq, 96, 'but the head moves');
  tl = T.applyEvent(tl, ev(97, 'message.edited', { message: msg(11, 'edited') }), null);
  t.equal((tl.items.get(11) as { message: Message }).message.text, 'edited', 'changes to shown messages apply');

  tl = T.putNewer(tl, [msg(13), msg(14)], false);
  t.same([seqs(tl), tl.hasNewer, tl.pagedTo], [[10, 11, 12, 13, 14], true, 14]);
  tl = T.putNewer(tl, [msg(95)], true);
  t.same([tl.hasNewer, tl.pagedTo], [false, 95], 'the end reached: back at the live end');
  tl = T.applyEvent(tl, ev(98, 'message.created', { message: msg(98) }), null);
  t.same(seqs(tl), [10, 11, 12, 13, 14, 95, 98], 'live messages append again');
});
