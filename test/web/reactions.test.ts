import t from 'tap';
import { applyReaction, reactedBy } from '../../web/src/state/reactions.js';
import * as T from '../../web/src/state/timeline.js';
import type { Message, RoomEvent } from '../../web/src/types.js';
import { message as plainMessage } from './messages.js';

/** The client's reaction reducer: live events change a message's reactions once, whatever the page already had. */

const at = '2026-12-01T12:00:00.000Z';
const alice = { id: 'u-alice', username: 'alice', displayName: 'Alice', gender: 'female' as const, avatar: null };
const message: Message = { ...plainMessage(5, alice, 'hi'), reactions: [] };
const ev = (
  seq: number,
  type: 'reaction.added' | 'reaction.removed',
  userId: string,
  count: number,
  emoji = '👍',
): RoomEvent => ({
  roomId: 'r1',
  seq,
  type,
  actor: null,
  at,
  payload: { seq: 5, emoji, userId, count },
});

t.test('added and removed, me per viewer, repeats change nothing', async (t) => {
  let m = applyReaction(message, ev(6, 'reaction.added', 'u-bob', 1), 'u-alice');
  t.same(m.reactions, [{ emoji: '👍', count: 1, users: ['u-bob'], me: false }]);
  t.equal(applyReaction(m, ev(6, 'reaction.added', 'u-bob', 1), 'u-alice'), m, 'the same event again: no change');
  m = applyReaction(m, ev(7, 'reaction.added', 'u-alice', 2), 'u-alice');
  t.same(m.reactions, [{ emoji: '👍', count: 2, users: ['u-bob', 'u-alice'], me: true }]);
  m = applyReaction(m, ev(8, 'reaction.added', 'u-bob', 1, '🎉'), 'u-alice');
  t.same(
    m.reactions!.map((r) => r.emoji),
    ['👍', '🎉'],
    'in the order first used',
  );
  m = applyReaction(m, ev(9, 'reaction.removed', 'u-alice', 1), 'u-alice');
  t.same(m.reactions![0], { emoji: '👍', count: 1, users: ['u-bob'], me: false });
  t.equal(applyReaction(m, ev(9, 'reaction.removed', 'u-alice', 1), 'u-alice'), m, 'removed twice: once');
  m = applyReaction(m, ev(10, 'reaction.removed', 'u-bob', 0), 'u-alice');
  t.same(
    m.reactions!.map((r) => r.emoji),
    ['🎉'],
    'an emoji nobody has left goes',
  );
  t.equal(
    reactedBy(m.reactions![0]!, (id) => (id === 'u-bob' ? 'Bob' : undefined)),
    'Bob reacted with 🎉',
  );
});

t.test('past the users a summary lists, a change the page already counts is not counted again', async (t) => {
  // A page read after 12 people reacted: it lists the first 10, and the 12th's event also arrives on the stream.
  const first10 = Array.from({ length: 10 }, (_, i) => `u-${i}`);
  const page = { ...message, reactions: [{ emoji: '👍', count: 12, users: first10, me: false }] };
  let m = applyReaction(page, ev(20, 'reaction.added', 'u-11', 12), 'u-alice');
  t.equal(m.reactions![0]!.count, 12, 'the replayed add leaves 12');
  m = applyReaction(m, ev(21, 'reaction.added', 'u-12', 13), 'u-alice');
  t.equal(m.reactions![0]!.count, 13, 'a new add makes 13');
  t.equal(m.reactions![0]!.users.length, 10, 'the list stays at the first 10');
  m = applyReaction(m, ev(22, 'reaction.removed', 'u-11', 12), 'u-alice');
  m = applyReaction(m, ev(22, 'reaction.removed', 'u-11', 12), 'u-alice');
  t.equal(m.reactions![0]!.count, 12, 'a removal delivered twice takes one away');
});

t.test('the timeline applies reaction events; an edit keeps reactions, a delete drops them', async (t) => {
  let tl = T.putMessages(T.emptyTimeline(), [message]);
  tl = T.applyEvent(tl, ev(6, 'reaction.added', 'u-bob', 1), 'u-alice');
  const shown = () => (tl.items.get(5) as { message: Message }).message.reactions;
  t.equal(shown()?.[0]?.count, 1);
  const edited = { ...message, text: 'hi!', editedAt: at, reactions: undefined };
  tl = T.applyEvent(
    tl,
    { ...ev(7, 'reaction.added', 'x', 1), type: 'message.edited', payload: { message: edited } },
    null,
  );
  t.equal(shown()?.[0]?.count, 1, 'kept by the edit');
  const deleted = { ...message, text: null, deletedAt: at, reactions: undefined };
  tl = T.applyEvent(
    tl,
    { ...ev(8, 'reaction.added', 'x', 1), type: 'message.deleted', payload: { seq: 5, message: deleted } },
    null,
  );
  t.same(shown(), [], 'gone with the delete');
});
