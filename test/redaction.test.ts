import t from 'tap';
import { api, join, newRoom, newUser, post, startApp, stream } from './helpers/app.js';

// Deleting a message, or editing it, must take its text out of everything the API serves: the log, and replays to
// anyone who joins or resumes later.
t.test('deleted and edited text is served by neither the log nor a replay', async (t) => {
  const app = await startApp();
  t.teardown(() => app.close());
  const [alice, carol] = [await newUser(app.url), await newUser(app.url)];
  const room = await newRoom(app.url, alice);
  const secret = await post(app.url, alice, room.id, 'my password is hunter2');
  const draft = await post(app.url, alice, room.id, 'first draft of a thought');
  const edit = await api(app.url, 'PATCH', `/api/rooms/${room.id}/messages/${draft.seq}`, {
    token: alice.token,
    body: { text: 'the thought, finished' },
  });
  t.equal(edit.status, 200);
  const del = await api(app.url, 'DELETE', `/api/rooms/${room.id}/messages/${secret.seq}`, { token: alice.token });
  t.equal(del.status, 204);

  // carol joins after the fact, as the review's reproduction did
  await join(app.url, carol, room.id);
  const log = await api(app.url, 'GET', `/api/rooms/${room.id}/log`, { token: carol.token });
  t.equal(log.status, 200);
  const body = JSON.stringify(log.body);
  t.notMatch(body, /hunter2/, 'the log has no deleted text');
  t.notMatch(body, /first draft/, 'the log has no previous text of an edit');
  t.match(body, /the thought, finished/, 'the current text is there');
  t.ok(
    log.body.events.some((e: { type: string }) => e.type === 'message.deleted'),
    'the delete is still an event',
  );

  const replay = await stream(app.url, `/api/rooms/${room.id}/events?lastEventId=0`, { token: carol.token });
  t.teardown(() => replay.close());
  await replay.waitFor((events) => events.some((e) => e.event === 'member.joined' && e.data.includes(carol.id)));
  const replayed = replay.events.map((e) => e.data).join('\n');
  t.notMatch(replayed, /hunter2|first draft/, 'a replay from the start has neither');
  t.match(replayed, /the thought, finished/);
});
