import t from 'tap';
import { applyReaction, reactedBy } from '../../web/src/state/reactions.js';
import * as T from '../../web/src/state/timeline.js';
import type { Message, RoomEvent } from '../../web/src/types.js';

/** The client's reaction reducer: live events change a message's reactions once, whatever the page already had. */

const at = '2026-12-01T12:00:00.000Z';
const alice = { id: 'u-alice', username: 'alice', displayName: 'Alice', gender: 'female' as const, avatar: null };
const message: Message = {
  roomId: 'r1',
  seq: 5,
  author: alice,
  text: 'hi',
  attachments: [],
  createdAt: at,
  editedAt: null,
  deletedAt: null,
  clientId: null,
  replyTo: null,
  threadSeq: null,
  thread: null,
  mentions: [],
  mentionsRoom: false,
  mentionsHere: false,
  reactions: [],
};
const ev = (seq: number, type: 'reaction.added' | 'reaction.removed', userId: string, emoji = '👍'): RoomEvent => ({
  roomId: 'r1',
  seq,
  type,
  actor: null,
  at,
  payload: { seq: 5, emoji, userId },
});

t.test('added and removed, me per viewer, repeats change nothing', async (t) => {
  let m = applyReaction(message, ev(6, 'reaction.added', 'u-bob'), 'u-alice');
  t.same(m.reactions, [{ emoji: '👍', count: 1, users: ['u-bob'], me: false }]);
  t.equal(applyReaction(m, ev(6, 'reaction.added', 'u-bob'), 'u-alice'), m, 'the same event again: no change');
  m = applyReaction(m, ev(7, 'reaction.added', 'u-alice'), 'u-alice');
  t.same(m.reactions, [{ emoji: '👍', count: 2, users: ['u-bob', 'u-alice'], me: true }]);
  m = applyReaction(m, ev(8, 'reaction.added', 'u-bob', '🎉'), 'u-alice');
  t.same(
    m.reactions!.map((r) => r.emoji),
    ['👍', '🎉'],
    'in the order first used',
  );
  m = applyReaction(m, ev(9, 'reaction.removed', 'u-alice'), 'u-alice');
  t.same(m.reactions![0], { emoji: '👍', count: 1, users: ['u-bob'], me: false });
  t.equal(applyReaction(m, ev(9, 'reaction.removed', 'u-alice'), 'u-alice'), m, 'removed twice: once');
  m = applyReaction(m, ev(10, 'reaction.removed', 'u-bob'), 'u-alice');
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

t.test('the timeline applies reaction events; an edit keeps reactions, a delete drops them', async (t) => {
  let tl = T.putMessages(T.emptyTimeline(), [message]);
  tl = T.applyEvent(tl, ev(6, 'reaction.added', 'u-bob'), 'u-alice');
  const shown = () => (tl.items.get(5) as { message: Message }).message.reactions;
  t.equal(shown()?.[0]?.count, 1);
  const edited = { ...message, text: 'hi!', editedAt: at, reactions: undefined };
  tl = T.applyEvent(
    tl,
    { ...ev(7, 'reaction.added', 'x'), type: 'message.edited', payload: { message: edited } },
    null,
  );
  t.equal(shown()?.[0]?.count, 1, 'kept by the edit');
  const deleted = { ...message, text: null, deletedAt: at, reactions: undefined };
  tl = T.applyEvent(
    tl,
    { ...ev(8, 'reaction.added', 'x'), type: 'message.deleted', payload: { seq: 5, message: deleted } },
    null,
  );
  t.same(shown(), [], 'gone with the delete');
});
