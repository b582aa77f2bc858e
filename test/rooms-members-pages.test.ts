import t from 'tap';
import { api, newMembers, newRoom, newUser, serve } from './helpers/app.js';

interface MemberBody {
  userId: string;
  role: string;
  online: boolean;
  user: { username: string };
}
interface PageBody {
  members: MemberBody[];
  nextCursor: string | null;
}

// A room's members come a page at a time (a 10,000-member list was 3.1 MB in one answer, and one long turn).
t.test('GET /members: pages in order with a cursor, a filter, and clear 400s', async (t) => {
  const srv = await serve(t, { env: { REGISTER_MAX_PER_IP: '1000' } });
  const owner = await newUser(srv.url);
  const room = await newRoom(srv.url, owner, { kind: 'public' });
  const people = await newMembers(srv.url, room.id, 6);
  const promoted = await api(srv.url, 'PATCH', `/api/rooms/${room.id}/members/${people[4]!.id}`, {
    token: owner.token,
    body: { role: 'admin' },
  });
  t.equal(promoted.status, 200, 'a role change finds its one member');
  const path = `/api/rooms/${room.id}/members`;

  const all = await api<PageBody>(srv.url, 'GET', path, { token: owner.token });
  t.equal(all.status, 200);
  t.equal(all.body.members.length, 7, 'a small room fits the first page');
  t.equal(all.body.nextCursor, null, 'and says there is no next one');
  t.same(
    all.body.members.map((m) => m.role),
    ['owner', 'admin', 'member', 'member', 'member', 'member', 'member'],
    'owner, admins, then members',
  );

  const paged: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
    const page: { status: number; body: PageBody } = await api<PageBody>(srv.url, 'GET', path + q, {
      token: owner.token,
    });
    t.equal(page.status, 200);
    t.ok(page.body.members.length <= 3, 'at most the limit');
    paged.push(...page.body.members.map((m) => m.userId));
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  t.equal(pages, 3, 'seven members in pages of three: three pages');
  t.same(
    paged,
    all.body.members.map((m) => m.userId),
    'every member once, in the same order',
  );

  const one = people[2]!;
  const found = await api<PageBody>(srv.url, 'GET', `${path}?q=${one.username.slice(-4).toUpperCase()}`, {
    token: people[0]!.token,
  });
  t.equal(found.status, 200);
  t.same(
    found.body.members.map((m) => m.userId),
    [one.id],
    'q finds a member by part of the name, in any case',
  );

  for (const [query, why] of [
    ['?cursor=bm90IGEgY3Vyc29y', 'a cursor this server did not issue'],
    ['?limit=0', 'a limit below 1'],
    ['?limit=1001', 'a limit over 1000'],
    ['?q=', 'an empty filter'],
  ] as const) {
    const bad = await api<{ error: { code: string } }>(srv.url, 'GET', path + query, { token: owner.token });
    t.equal(bad.status, 400, why);
    t.equal(bad.body.error.code, 'VALIDATION_FAILED', `${why}: VALIDATION_FAILED`);
  }

  const stranger = await newUser(srv.url);
  const privateRoom = await newRoom(srv.url, owner, { kind: 'private' });
  const hidden = await api(srv.url, 'GET', `/api/rooms/${privateRoom.id}/members`, { token: stranger.token });
  t.equal(hidden.status, 404, "a private room's members are not shown to others");
  const removed = await api(srv.url, 'DELETE', `/api/rooms/${room.id}/members/${stranger.id}`, {
    token: owner.token,
  });
  t.equal(removed.status, 404, 'removing someone who is not a member: 404');
});

// A member's notification level and mute are their own: the members list shows them on your entry only.
t.test('GET /members and member changes show notify and muted on your own entry only', async (t) => {
  const srv = await serve(t, { env: { REGISTER_MAX_PER_IP: '1000' } });
  const owner = await newUser(srv.url);
  const room = await newRoom(srv.url, owner, { kind: 'public' });
  const [quiet] = await newMembers(srv.url, room.id, 1);
  const set = await api(srv.url, 'PATCH', `/api/rooms/${room.id}/membership`, {
    token: quiet!.token,
    body: { muted: true, notify: 'none' },
  });
  t.equal(set.status, 200);
  const path = `/api/rooms/${room.id}/members`;
  type Entry = MemberBody & { notify?: string; muted?: boolean };
  const entries = async (token: string) =>
    new Map((await api<{ members: Entry[] }>(srv.url, 'GET', path, { token })).body.members.map((m) => [m.userId, m]));

  const seenByOwner = await entries(owner.token);
  t.notOk('muted' in seenByOwner.get(quiet!.id)!, 'the owner does not see that the other muted the room');
  t.notOk('notify' in seenByOwner.get(quiet!.id)!, 'nor their notification level');
  t.equal(seenByOwner.get(owner.id)!.notify, 'mentions', 'the owner sees their own level');
  t.equal(seenByOwner.get(owner.id)!.muted, false);

  const seenBySelf = await entries(quiet!.token);
  t.equal(seenBySelf.get(quiet!.id)!.muted, true, 'the member sees their own mute');
  t.equal(seenBySelf.get(quiet!.id)!.notify, 'none');
  t.notOk('muted' in seenBySelf.get(owner.id)!, "and not the owner's");

  const promoted = await api<{ member: Entry }>(srv.url, 'PATCH', `${path}/${quiet!.id}`, {
    token: owner.token,
    body: { role: 'admin' },
  });
  t.equal(promoted.status, 200);
  t.equal(promoted.body.member.role, 'admin');
  t.notOk('muted' in promoted.body.member, "a role change answers without the member's own settings");
});
