import t from 'tap';
import { activityRun, activityRunText } from '../../web/src/state/activity.js';
import type { PublicUser, RoomEvent } from '../../web/src/types.js';

const person = (name: string): PublicUser => ({
  id: `id-${name}`,
  username: name,
  displayName: name,
  gender: 'unspecified',
  avatar: null,
});
let seq = 0;
const event = (type: RoomEvent['type'], user: PublicUser, actor: PublicUser | null, payload = {}): RoomEvent => ({
  roomId: 'r',
  seq: ++seq,
  type,
  actor,
  at: new Date(0).toISOString(),
  payload: { user, ...payload },
});
const joined = (name: string) => event('member.joined', person(name), person(name), { role: 'member' });

t.test('which events make runs: people joining or leaving by themselves', async (t) => {
  t.equal(activityRun(joined('ann')), 'joined');
  t.equal(activityRun(event('member.joined', person('ann'), person('owner'))), null, 'being added is its own line');
  t.equal(activityRun(event('member.left', person('ann'), person('ann'), { reason: 'left' })), 'left');
  t.equal(
    activityRun(event('member.left', person('ann'), person('owner'), { reason: 'removed' })),
    null,
    'a removal is its own line',
  );
  t.equal(activityRun(event('member.role', person('ann'), person('owner'), { role: 'admin' })), null);
});

t.test('a run is one line: the first names, then how many others', async (t) => {
  const names = ['ann', 'ben', 'cid', 'dee', 'eli', 'flo'];
  t.equal(activityRunText(names.slice(0, 2).map(joined)), 'ann and ben joined');
  t.equal(activityRunText(names.slice(0, 4).map(joined)), 'ann, ben, cid and dee joined', 'four are all named');
  t.equal(activityRunText(names.map(joined)), 'ann, ben, cid and 3 others joined');
  const left = names.map((n) => event('member.left', person(n), person(n), { reason: 'left' }));
  t.equal(activityRunText(left), 'ann, ben, cid and 3 others left');
  t.equal(
    activityRunText(names.slice(0, 3).map(joined), (u) => (u ? { ...u, displayName: u.username.toUpperCase() } : u)),
    'ANN, BEN and CID joined',
    'people are named as they are called now',
  );
});
