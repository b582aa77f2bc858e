import t from 'tap';
import { mentionRecipients, mentionTokens, resolveMentions } from '../server/messages/mentions.js';

/** The mention parser (pure): what counts as a mention of whom. */

const members = [
  { id: 'A', username: 'alice' },
  { id: 'B', username: 'bob.smith' },
  { id: 'C', username: 'carol-' },
];

t.test('@username: members, any case, each once, punctuation after it is not part of it', async (t) => {
  t.same(resolveMentions('hi @Alice and @ALICE', members, 'X').mentions, ['A']);
  t.same(resolveMentions('thanks @bob.smith.', members, 'X').mentions, ['B'], 'a full stop after a dotted name');
  t.same(resolveMentions('(@alice), @alice: @alice!', members, 'X').mentions, ['A']);
  t.same(resolveMentions('@carol- and @carol', members, 'X').mentions, ['C'], 'a name that ends in - matches whole');
  t.same(resolveMentions('@dave @alicexyz @ alice', members, 'X').mentions, [], 'unknown names are plain text');
  t.same(resolveMentions('mail alice@alice.com, @@alice', members, 'X').mentions, [], 'not inside a word');
  t.same(resolveMentions('@alice', members, 'A').mentions, [], 'the author naming themselves');
  t.same(resolveMentions(null, members, 'X').mentions, []);
});

t.test('@room and @here are flags', async (t) => {
  t.same(resolveMentions('@room: @HERE', members, 'X'), { mentions: [], mentionsRoom: true, mentionsHere: true });
  t.same(resolveMentions('@roomy @there', members, 'X'), { mentions: [], mentionsRoom: false, mentionsHere: false });
});

t.test('nothing inside code counts', async (t) => {
  t.same(resolveMentions('`@alice` and ``a ` @bob.smith``', members, 'X').mentions, [], 'inline code spans');
  t.same(resolveMentions('```\n@alice @room\n```\n@bob.smith', members, 'X'), {
    mentions: ['B'],
    mentionsRoom: false,
    mentionsHere: false,
  });
  t.same(resolveMentions('~~~js\n@alice\n', members, 'X').mentions, [], 'an unclosed fence runs to the end');
  t.same(resolveMentions('a ` b @alice', members, 'X').mentions, ['A'], 'an unmatched backtick is text');
});

t.test('tokens give positions for highlighting', async (t) => {
  t.same(mentionTokens('hey @Alice!'), [{ start: 4, end: 10, name: 'alice' }]);
});

t.test('recipients: named, @room everyone, @here those online; never the author', async (t) => {
  const resolved = { mentions: ['A'], mentionsRoom: false, mentionsHere: true };
  const got = mentionRecipients(resolved, ['A', 'B', 'C', 'X'], new Set(['B', 'X']), 'X');
  t.same(
    [...got],
    [
      ['A', { here: false }],
      ['B', { here: true }],
    ],
  );
  const all = mentionRecipients({ mentions: [], mentionsRoom: true, mentionsHere: false }, ['A', 'X'], new Set(), 'X');
  t.same([...all.keys()], ['A']);
});
