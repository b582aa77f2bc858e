import t from 'tap';
import type { ReceiptsBody } from './helpers/bodies.js';
import { api, newMembers, newRoom, newUser, post, serve } from './helpers/app.js';

// In a room of thousands a message's receipts listed every member three ways (megabytes); now counts, and lists cut.
t.test("GET a message's receipts: counts of all, each list cut at ?limit=, a clear 400 past the bounds", async (t) => {
  const srv = await serve(t, { env: { REGISTER_MAX_PER_IP: '1000' } });
  const owner = await newUser(srv.url);
  const room = await newRoom(srv.url, owner, { kind: 'public' });
  await newMembers(srv.url, room.id, 4);
  const m = await post(srv.url, owner, room.id, 'who has it?');
  const path = `/api/rooms/${room.id}/messages/${m.seq}/receipts`;
  const all = await api<ReceiptsBody>(srv.url, 'GET', path, { token: owner.token });
  t.equal(all.status, 200);
  t.same(all.body.counts, { delivered: 0, read: 0, pending: 4 }, 'four others, none with a stream');
  t.equal(all.body.pending.length, 4);
  const cut = await api<ReceiptsBody>(srv.url, 'GET', `${path}?limit=2`, { token: owner.token });
  t.same(cut.body.counts, all.body.counts, 'the counts are of everyone');
  t.same(cut.body.pending, all.body.pending.slice(0, 2), 'the list is its first two');
  for (const limit of ['0', '1001', 'x']) {
    const bad = await api<{ error: { code: string } }>(srv.url, 'GET', `${path}?limit=${limit}`, {
      token: owner.token,
    });
    t.equal(bad.status, 400, `limit=${limit}: 400`);
    t.equal(bad.body.error.code, 'VALIDATION_FAILED');
  }
});
