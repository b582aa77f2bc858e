import t from 'tap';
import { MESSAGE_MAX_CHARS } from '../../server/limits.js';
import { newRoom, newUser, post, serve, stream } from '../helpers/app.js';

/**
 * A replay is written in runs that stay within the subscriber's queue bound (SSE_MAX_QUEUE_BYTES). A page of long
 * messages is megabytes (500 events of 4,000 two-byte characters: 4 MB); written whole, it went over the bound and the
 * stream was cut as too slow before anything was sent, and again every time the client came back from the same id.
 */
for (const cache of ['64', '0']) {
  t.test(`a room of long messages resumes whole (replay cache ${cache === '0' ? 'off' : 'on'})`, async (t) => {
    const srv = await serve(t, { env: { REPLAY_CACHE_MB: cache, SSE_MAX_QUEUE_BYTES: String(1 << 20) } });
    const alice = await newUser(srv.url);
    const room = await newRoom(srv.url, alice);
    const text = 'é'.repeat(MESSAGE_MAX_CHARS);
    const count = 300; // 300 frames of over 8 KB: 2.4 MB, more than twice the bound
    const seqs: number[] = [];
    for (let i = 0; i < count; i++) seqs.push((await post(srv.url, alice, room.id, text)).seq);

    const s = await stream(srv.url, `/api/rooms/${room.id}/events`, { token: alice.token, lastEventId: '0' });
    t.teardown(() => s.close());
    const last = seqs[seqs.length - 1]!;
    await s.waitFor((events) => events.some((e) => Number(e.id) === last) || s.ended, 20_000, 'the whole log');
    t.notOk(s.ended, 'the stream was not cut');
    const created = s.stored().filter((e) => e.event === 'message.created');
    t.same(
      created.map((e) => Number(e.id)),
      seqs,
      'every message once, in order',
    );
    t.ok(
      created.every((e) => e.json.payload.message.text === text),
      'each with its whole text',
    );
  });
}
