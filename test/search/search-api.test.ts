import t from 'tap';
import type { z } from 'zod';
import type { SearchResultSchema } from '../../server/search/routes.js';
import { api, join, newRoom, newUser, post, serve } from '../helpers/app.js';
import type { ErrorBody, RoomBody } from '../helpers/bodies.js';

interface SearchBody {
  results: Array<z.output<typeof SearchResultSchema>>;
  nextCursor: string | null;
}

t.test('GET /api/search over a real socket', async (t) => {
  const srv = await serve(t);
  const alice = await newUser(srv.url);
  const bob = await newUser(srv.url);
  const eve = await newUser(srv.url);
  const general = await newRoom(srv.url, alice, { name: 'General Chat' });
  const ops = await newRoom(srv.url, alice, { name: 'ops' });
  await join(srv.url, bob, general.id);
  const hidden = await newRoom(srv.url, eve, { name: 'eve only', kind: 'private' });
  const m1 = await post(srv.url, alice, general.id, 'Deploy the <b>release</b> tonight');
  const m2 = await post(srv.url, bob, general.id, 'the release notes are ready');
  const m3 = await post(srv.url, alice, ops.id, 'release checklist: deploying now');
  await post(srv.url, eve, hidden.id, 'release secret from eve');
  const search = (who: { token: string }, params: Record<string, string>) =>
    api<SearchBody>(srv.url, 'GET', `/api/search?${new URLSearchParams(params)}`, { token: who.token });
  const seqs = (b: SearchBody) => b.results.map((r) => `${r.room.name}#${r.message.seq}`);

  t.test('words: newest first, my rooms only, with the room, the author and a marked snippet', async (t) => {
    const res = await search(alice, { q: 'release' });
    t.equal(res.status, 200);
    t.same(seqs(res.body), [`ops#${m3.seq}`, `General Chat#${m2.seq}`, `General Chat#${m1.seq}`]);
    const first = res.body.results[2]!;
    t.equal(first.message.author.username, alice.username);
    t.same(first.room, { id: general.id, name: 'General Chat', kind: 'public' });
    t.equal(first.snippet.text, 'Deploy the <b>release</b> tonight', 'the snippet is text: markup is not interpreted');
    t.same(
      first.snippet.matches.map((m) => first.snippet.text.slice(m.start, m.end)),
      ['release'],
      'the match is marked by its range',
    );
    t.same(seqs((await search(bob, { q: 'release' })).body).length, 2, 'bob sees his one room only');
    t.same((await search(eve, { q: 'deploy' })).body.results, [], "eve never sees others' rooms");
  });

  t.test('operators in q and as parameters', async (t) => {
    t.same(seqs((await search(alice, { q: `release from:${bob.username}` })).body), [`General Chat#${m2.seq}`]);
    t.same(seqs((await search(alice, { q: 'release', from: alice.username })).body).length, 2);
    t.same(seqs((await search(alice, { q: 'release in:"general chat"' })).body).length, 2, 'in: with a quoted name');
    t.same(seqs((await search(alice, { q: 'release in:ops' })).body), [`ops#${m3.seq}`]);
    t.same(seqs((await search(alice, { q: 'release', roomId: ops.id })).body), [`ops#${m3.seq}`]);
    t.same(seqs((await search(alice, { q: '"release notes"' })).body), [`General Chat#${m2.seq}`], 'a phrase');
    t.same(seqs((await search(alice, { q: 'deplo' })).body).length, 2, 'the last word is a prefix');
    const today = new Date().toISOString().slice(0, 10);
    t.same((await search(alice, { q: `release before:${today}` })).body.results, [], 'nothing before today');
    t.same((await search(alice, { q: 'release', after: today })).body.results, [], 'nothing after today');
    t.equal((await search(alice, { q: 'release after:2020-01-01' })).body.results.length, 3);
    t.same((await search(alice, { q: '!!!' })).body, { results: [], nextCursor: null }, 'nothing to look for');
  });

  t.test('edits are found by their new text, deletions not at all', async (t) => {
    const m = await post(srv.url, alice, ops.id, 'temporary wording');
    const path = `/api/rooms/${ops.id}/messages/${m.seq}`;
    t.equal((await api(srv.url, 'PATCH', path, { token: alice.token, body: { text: 'final phrasing' } })).status, 200);
    t.same((await search(alice, { q: 'temporary' })).body.results, []);
    t.same(seqs((await search(alice, { q: 'phrasing' })).body), [`ops#${m.seq}`]);
    t.equal((await api(srv.url, 'DELETE', path, { token: alice.token })).status, 204);
    t.same((await search(alice, { q: 'phrasing' })).body.results, []);
  });

  t.test('pages follow nextCursor', async (t) => {
    for (let i = 0; i < 5; i++) await post(srv.url, alice, ops.id, `paged entry ${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res: { body: SearchBody } = await search(alice, { q: 'paged', limit: '2', ...(cursor ? { cursor } : {}) });
      seen.push(...res.body.results.map((r) => r.message.text!));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    t.same(
      seen,
      [4, 3, 2, 1, 0].map((i) => `paged entry ${i}`),
      'every one once, newest first',
    );
  });

  t.test('bad input: 400 naming the field, and nothing changes', async (t) => {
    const before = (await api<RoomBody>(srv.url, 'GET', `/api/rooms/${general.id}`, { token: alice.token })).body;
    const cases: Array<[Record<string, string>, string]> = [
      [{ q: '' }, 'querystring.q'],
      [{ q: '   ' }, 'querystring.q'],
      [{ q: 'x'.repeat(1000) }, 'querystring.q'],
      [{ q: 'release before:2026-13-01' }, 'querystring.q'],
      [{ q: 'release', after: '01/02/2026' }, 'querystring.after'],
      [{ q: 'release', before: '2026-02-30' }, 'querystring.before'],
      [{ q: 'release', roomId: hidden.id }, 'querystring.roomId'],
      [{ q: 'release', roomId: 'AAAAAAAAAAAAAAAA' }, 'querystring.roomId'],
      [{ q: 'release in:nowhere' }, 'querystring.q'],
      [{ q: 'release from:nobody_at_all' }, 'querystring.q'],
      [{ q: 'release', from: 'nobody_at_all' }, 'querystring.from'],
      [{ q: 'release', cursor: 'garbage' }, 'querystring.cursor'],
      [{ q: 'release', cursor: `${general.id}.99999` }, 'querystring.cursor'],
      [{ q: 'release', limit: '0' }, 'querystring.limit'],
    ];
    for (const [params, field] of cases) {
      const res = await api<ErrorBody>(srv.url, 'GET', `/api/search?${new URLSearchParams(params)}`, {
        token: alice.token,
      });
      t.equal(res.status, 400, `${JSON.stringify(params)}: 400`);
      t.equal(res.body.error.code, 'VALIDATION_FAILED');
      t.match(res.body.error.message, field, `names ${field}`);
    }
    t.equal((await api(srv.url, 'GET', '/api/search?q=release')).status, 401, 'only signed in');
    const after = (await api<RoomBody>(srv.url, 'GET', `/api/rooms/${general.id}`, { token: alice.token })).body;
    t.equal(after.room.lastSeq, before.room.lastSeq, 'nothing was written');
  });

  t.test('the route is in the OpenAPI document', async (t) => {
    const doc = (await api(srv.url, 'GET', '/docs/json')).body;
    const op = doc.paths['/api/search']?.get;
    t.ok(op, 'GET /api/search is documented');
    t.ok(op.responses['400'] && op.responses['200'], 'with its answers');
  });
});
