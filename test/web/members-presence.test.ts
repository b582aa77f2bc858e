import t from 'tap';
import { Members } from '../../web/src/state/members.js';
import type { Member, PublicUser } from '../../web/src/types.js';

/** The web client's members store applying `presence` events: patches, snapshots, the count, big rooms. */

const person = (id: string): PublicUser => ({ id, username: id, displayName: id, gender: 'other', avatar: null });
const member = (id: string, online: boolean): Member =>
  ({
    roomId: 'r1',
    userId: id,
    role: 'member',
    joinedAt: '2026-01-01T00:00:00.000Z',
    deliveredSeq: 0,
    readSeq: 0,
    user: person(id),
    online,
  }) as Member;

function loaded(): Members {
  const m = new Members();
  const s = m.store.value;
  m.store.set({ ...s, byRoom: new Map([['r1', [member('a', true), member('b', false), member('c', true)]]]) });
  return m;
}
const states = (m: Members) => Object.fromEntries(m.of('r1')!.map((x) => [x.userId, x.online]));
/** A small room's presence event: b came online, three are online now. */
const bComesOnline = (m: Members) =>
  m.applyPresence({
    roomId: 'r1',
    online: 3,
    changes: [{ userId: 'b', online: true }],
    complete: true,
    snapshot: false,
  });

t.test('a patch changes the people listed and sets the count', async (t) => {
  const m = loaded();
  bComesOnline(m);
  t.same(states(m), { a: true, b: true, c: true });
  t.equal(m.onlineCount('r1'), 3);
  t.notOk(m.store.value.partial.has('r1'));
});

t.test('a complete snapshot replaces: whoever it does not list is offline', async (t) => {
  const m = loaded();
  m.applyPresence({
    roomId: 'r1',
    online: 1,
    changes: [{ userId: 'b', online: true }],
    complete: true,
    snapshot: true,
  });
  t.same(states(m), { a: false, b: true, c: false });
  t.equal(m.onlineCount('r1'), 1);
});

t.test('a big room: only the listed people change, the count comes from the event, the room is marked', async (t) => {
  const m = loaded();
  m.applyPresence({
    roomId: 'r1',
    online: 950,
    changes: [{ userId: 'a', online: false }],
    complete: false,
    snapshot: true,
  });
  t.same(states(m), { a: false, b: false, c: true }, 'an incomplete snapshot patches only the watched people');
  t.equal(m.onlineCount('r1'), 950);
  t.ok(m.store.value.partial.has('r1'), 'the panel watches its rows in this room');
  m.applyPresence({ roomId: 'r1', online: 2, changes: [], complete: true, snapshot: true });
  t.notOk(m.store.value.partial.has('r1'), 'small again');
  t.same(states(m), { a: false, b: false, c: false });
});

t.test('the count is kept for rooms whose members are not loaded', async (t) => {
  const m = new Members();
  m.applyPresence({
    roomId: 'r9',
    online: 4,
    changes: [{ userId: 'x', online: true }],
    complete: false,
    snapshot: false,
  });
  t.equal(m.onlineCount('r9'), 4);
  t.equal(m.of('r9'), undefined);
});

// The list is read over HTTP while the stream goes on: what the stream says meanwhile is newer than what the read
// may return, so it is applied again after (a reload every 30 s used to undo a dot that had just gone on).
t.test('what is heard while the list is read is applied again after it, in order', async (t) => {
  const realFetch = globalThis.fetch;
  let answer!: (r: Response) => void;
  globalThis.fetch = (() => new Promise<Response>((resolve) => (answer = resolve))) as typeof fetch;
  t.teardown(() => {
    globalThis.fetch = realFetch;
  });
  const m = loaded();
  const reading = m.load('r1');
  // Meanwhile: b comes online, d joins, a leaves.
  bComesOnline(m);
  const event = (seq: number, type: 'member.joined' | 'member.left', id: string) => ({
    roomId: 'r1',
    seq,
    type,
    actor: person(id),
    at: '2026-01-02T00:00:00.000Z',
    payload: { user: person(id), role: 'member', reason: 'left' },
  });
  m.applyEvent(event(10, 'member.joined', 'd'));
  m.applyEvent(event(11, 'member.left', 'a'));
  // The list as the server read it before all three.
  const before = { members: [member('a', true), member('b', false), member('c', true)], nextCursor: null };
  answer(new Response(JSON.stringify(before), { status: 200, headers: { 'content-type': 'application/json' } }));
  await reading;
  t.same(states(m), { b: true, c: true, d: false }, 'b online, d in, a out: the list read did not undo them');
  t.equal(m.onlineCount('r1'), 3, 'the count is the newest heard');
  m.applyEvent(event(12, 'member.left', 'd'));
  t.same(states(m), { b: true, c: true }, 'and later events apply once, as usual');
});
