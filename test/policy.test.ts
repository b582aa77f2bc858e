import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  allows,
  leaveRefusal,
  mayChangeRoleOf,
  mayChangeRoles,
  mayDeleteMessage,
  mayEditMessage,
  mayLeave,
  mayPin,
  mayRemove,
  mayRemoveMembers,
  roomRefusal,
  type MemberRef,
  type MessageRef,
  type RoomAction,
} from '../server/rooms/policy.js';
import type { Role, RoomKind } from '../server/store/store.js';

/**
 * The room rules as a table: every question, for each room kind, asked by each kind of caller. A row reads
 * stranger, member, admin, owner; Y is allowed, - is refused. Direct rooms only ever hold plain members, but the
 * rules still answer for every role there.
 */
type Who = 'stranger' | Role;
const WHO: Who[] = ['stranger', 'member', 'admin', 'owner'];
const KINDS: RoomKind[] = ['public', 'private', 'direct'];

const ME = 'u-me';
const actor = (who: Who): MemberRef | null => (who === 'stranger' ? null : { userId: ME, role: who });
const other = (role: Role): MemberRef => ({ userId: `u-other-${role}`, role });
const DELETED_AT = '2026-01-01T00:00:00.000Z';
const message = (author: string, deleted = false): MessageRef => ({
  author: { id: author },
  deletedAt: deleted ? DELETED_AT : null,
});

type Ask = (room: { kind: RoomKind }, me: MemberRef | null) => boolean;
interface Question {
  name: string;
  ask: Ask;
  expect: Record<RoomKind, string>;
}
/** One question and its rows; a row left out is the one before it. */
const q = (name: string, ask: Ask, pub: string, priv = pub, direct = priv): Question => ({
  name,
  ask,
  expect: { public: pub, private: priv, direct },
});
const ADMINS = ['--YY', '--YY', '----'] as const;
const OWNER = ['---Y', '---Y', '----'] as const;
const NOBODY = '----';

const questions: Question[] = [
  q('allows read', (r, me) => allows(r, me, 'read'), 'YYYY', '-YYY'),
  q('allows join', (r, me) => allows(r, me, 'join'), 'YYYY', '----'),
  q('allows post', (r, me) => allows(r, me, 'post'), '-YYY'),
  ...(['update', 'add-member', 'moderate-messages'] as RoomAction[]).map((action) =>
    q(`allows ${action}`, (r, me) => allows(r, me, action), ...ADMINS),
  ),
  q('allows delete', (r, me) => allows(r, me, 'delete'), ...OWNER),
  q('mayLeave', (r, me) => mayLeave(r, me), '-YY-', '-YY-', '----'),
  q('mayChangeRoles', (r, me) => mayChangeRoles(r, me), ...OWNER),
  q('mayChangeRoleOf another member', (r, me) => mayChangeRoleOf(r, me, other('member')), ...OWNER),
  q('mayChangeRoleOf oneself', (r, me) => me !== null && mayChangeRoleOf(r, me, me), NOBODY),
  q('mayRemoveMembers', (r, me) => mayRemoveMembers(r, me), ...ADMINS),
  q('mayRemove a member', (r, me) => mayRemove(r, me, other('member')), ...ADMINS),
  q('mayRemove an admin', (r, me) => mayRemove(r, me, other('admin')), ...OWNER),
  q('mayRemove an owner', (r, me) => mayRemove(r, me, other('owner')), NOBODY),
  q('mayRemove oneself (leave instead)', (r, me) => me !== null && mayRemove(r, me, me), NOBODY),
  q('mayEditMessage own', (r, me) => mayEditMessage(r, me, message(ME)), '-YYY'),
  q("mayEditMessage others'", (r, me) => mayEditMessage(r, me, message('u-else')), NOBODY),
  q('mayEditMessage own deleted', (r, me) => mayEditMessage(r, me, message(ME, true)), NOBODY),
  q('mayDeleteMessage own', (r, me) => mayDeleteMessage(r, me, message(ME)), '-YYY'),
  q("mayDeleteMessage others'", (r, me) => mayDeleteMessage(r, me, message('u-else')), ...ADMINS),
  q('mayDeleteMessage deleted', (r, me) => mayDeleteMessage(r, me, message('u-else', true)), NOBODY),
];

t.test('every question, room kind and caller', async (t) => {
  for (const q of questions) {
    for (const kind of KINDS) {
      const got = WHO.map((who) => (q.ask({ kind }, actor(who)) ? 'Y' : '-')).join('');
      t.equal(got, q.expect[kind], `${q.name} in a ${kind} room (stranger, member, admin, owner)`);
    }
  }
});

t.test('refusals name the catalogued code the server answers with', async (t) => {
  type Refusal = string | null;
  interface RefusalQuestion {
    name: string;
    ask: (kind: RoomKind, who: Who) => Refusal;
    expect: Record<RoomKind, Refusal[]>;
  }
  const refusals: RefusalQuestion[] = [
    {
      name: 'roomRefusal post',
      ask: (kind, who) => roomRefusal({ kind }, actor(who), 'post'),
      expect: {
        public: ['NOT_A_MEMBER', null, null, null],
        private: ['ROOM_NOT_FOUND', null, null, null],
        direct: ['ROOM_NOT_FOUND', null, null, null],
      },
    },
    {
      name: 'roomRefusal delete',
      ask: (kind, who) => roomRefusal({ kind }, actor(who), 'delete'),
      expect: {
        public: ['NOT_A_MEMBER', 'FORBIDDEN', 'FORBIDDEN', null],
        private: ['ROOM_NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN', null],
        direct: ['ROOM_NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
      },
    },
    {
      name: 'leaveRefusal',
      ask: (kind, who) => leaveRefusal({ kind }, actor(who)),
      expect: {
        public: ['NOT_A_MEMBER', null, null, 'OWNER_CANNOT_LEAVE'],
        private: ['NOT_A_MEMBER', null, null, 'OWNER_CANNOT_LEAVE'],
        direct: ['NOT_A_MEMBER', 'DIRECT_ROOM', 'DIRECT_ROOM', 'DIRECT_ROOM'],
      },
    },
  ];
  for (const r of refusals) {
    for (const kind of KINDS) {
      t.same(
        WHO.map((who) => r.ask(kind, who)),
        r.expect[kind],
        `${r.name} in a ${kind} room`,
      );
    }
  }
});

t.test('mayPin: owner and admins pin; in a direct conversation both people', async (t) => {
  for (const kind of KINDS) {
    t.same(
      WHO.map((who) => mayPin({ kind }, actor(who))),
      kind === 'direct' ? [false, true, true, true] : [false, false, true, true],
      `in a ${kind} room`,
    );
  }
});

t.test('the policy module stays loadable in the browser: it imports types only', async (t) => {
  const source = readFileSync(new URL('../server/rooms/policy.ts', import.meta.url), 'utf8');
  const imports = source.split('\n').filter((line) => /^import\b/.test(line));
  t.ok(imports.length > 0);
  for (const line of imports) t.match(line, /^import type /, line);
});
