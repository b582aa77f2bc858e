import t from 'tap';
import { encodeEvent } from '../../server/realtime/frame.js';
import { RoomCursor } from '../../server/realtime/room-cursor.js';
import {
  decodeFull,
  makeBase,
  parseBase,
  parseCursor,
  resolveCursor,
  type CursorBase,
} from '../../server/realtime/stream-cursor.js';
import { StreamId } from '../../server/realtime/stream-id.js';
import { newId } from '../../server/ids.js';

/** The multi-room stream id: its two forms, and how one stream's id stays short as its rooms move. */

const rooms = (n: number) => Array.from({ length: n }, () => newId());
const based = (raw: string) => {
  const parsed = parseCursor(raw);
  if (parsed?.kind !== 'based') throw new Error(`not a based id: ${raw}`);
  return parsed;
};
const flush = () => new Promise((resolve) => setImmediate(resolve));

t.test('a base is named by its positions, whatever their order, and reads back from its stored text', async (t) => {
  const [a, b, c] = rooms(3);
  const one = makeBase([
    [a!, 5],
    [b!, 9],
    [c!, 0],
  ]);
  const two = makeBase([
    [c!, 0],
    [a!, 5],
    [b!, 9],
  ]);
  t.equal(one.id, two.id, 'the same positions, the same id');
  t.match(one.id, /^[A-Za-z0-9_-]{12}$/);
  t.not(makeBase([[a!, 6]]).id, makeBase([[a!, 5]]).id, 'another position, another id');
  t.same(one.rooms, [a, b, c].sort(), 'rooms in id order');
  const read = parseBase(one.id, one.text);
  t.same(read && [...read.rooms], [...one.rooms]);
  t.same(read && [...read.seqs], [...one.seqs]);
  t.same(
    decodeFull(one.text),
    new Map([
      [a!, 5],
      [b!, 9],
      [c!, 0],
    ]),
    'the stored text is the full form',
  );
  const unsorted = `${[a, b].sort().reverse()[0]}:1,${[a, b].sort()[0]}:2`;
  t.equal(parseBase(one.id, unsorted), null, 'a text out of room order is not a base');
  t.equal(parseBase(one.id, 'garbage'), null);
});

t.test('ids: the full form, a base alone, a base with entries; anything else is malformed', async (t) => {
  const [a, b] = rooms(2);
  const full = parseCursor(`${a}:3,${b}:0`);
  t.same(full, {
    kind: 'full',
    positions: new Map([
      [a!, 3],
      [b!, 0],
    ]),
  });
  t.same(parseCursor(''), { kind: 'full', positions: new Map() }, 'no rooms');
  t.same(parseCursor('k3Jx0a9_Qm2T'), { kind: 'based', baseId: 'k3Jx0a9_Qm2T', entries: [] });
  t.same(parseCursor(`k3Jx0a9_Qm2T.7:1051,${a}:4,0:-`), {
    kind: 'based',
    baseId: 'k3Jx0a9_Qm2T',
    entries: [
      ['7', 1051],
      [a, 4],
      ['0', null],
    ],
  });
  for (const bad of [
    'k3Jx0a9_Qm2',
    'k3Jx0a9_Qm2T.',
    'k3Jx0a9_Qm2T.7',
    'k3Jx0a9_Qm2T.7:-1',
    'k3Jx0a9_Qm2T.123456:1',
    'k3Jx0a9_Qm2T.abc:1',
    'k3Jx0a9_Qm2T.7:1.8:2',
    `${a}:-`,
    `${a}:1,`,
    `${a}`,
    'not a cursor',
  ])
    t.equal(parseCursor(bad), null, `malformed: ${JSON.stringify(bad)}`);
});

t.test('a based id resolves against its base; a lost base leaves only the rooms named in full', async (t) => {
  const [a, b, c, d] = rooms(4);
  const base = makeBase([
    [a!, 10],
    [b!, 20],
    [c!, 30],
  ]);
  const ib = base.index.get(b!)!;
  const ic = base.index.get(c!)!;
  const parsed = based(`${base.id}.${ib}:25,${ic}:-,${d}:7`);
  t.same(resolveCursor(parsed, base), {
    positions: new Map([
      [a!, 10],
      [b!, 25],
      [d!, 7],
    ]),
    lost: false,
  });
  t.same(resolveCursor(parsed, null), { positions: new Map([[d!, 7]]), lost: true }, 'lost: only what is spelt out');
  t.equal(resolveCursor(based(`${base.id}.3:1`), base), null, 'an index past the base');
});

/** A stream following `ids` at the given seqs, with a store of bases in memory. */
function streamOf(seqs: Map<string, number>, limits = { maxEntries: 2, minRebaseMs: 0, refreshMs: 3_600_000 }) {
  const cursors = new Map<string, RoomCursor>();
  const saved = new Map<string, CursorBase>();
  let failing = false;
  const save = async (positions: ReadonlyArray<readonly [string, number]>) => {
    if (failing) throw new Error('store unavailable');
    const base = makeBase(positions);
    saved.set(base.id, base);
    return base;
  };
  const follow = (roomId: string, seq: number) => {
    const cursor = new RoomCursor(seq, () => undefined, 100);
    cursor.ready(); // nothing to replay: live at `seq`
    cursors.set(roomId, cursor);
    return cursor;
  };
  for (const [roomId, seq] of seqs) follow(roomId, seq);
  /** Writes the room's next event, as the hub would. */
  const advance = (roomId: string) => {
    const cursor = cursors.get(roomId)!;
    const at = new Date(0).toISOString();
    const outcome = cursor.live(
      encodeEvent({ roomId, seq: cursor.seq + 1, type: 'message.created', actor: null, at, payload: {} }),
    );
    if (outcome !== 'sent') throw new Error(`not sent: ${outcome}`);
  };
  return {
    cursors,
    saved,
    follow,
    advance,
    fail: (on: boolean) => (failing = on),
    make: (base: CursorBase | null) => new StreamId(cursors, save, base, limits),
  };
}

/** The positions an id names, resolved against the bases stored so far. */
function positionsOf(raw: string, saved: Map<string, CursorBase>) {
  const parsed = parseCursor(raw)!;
  if (parsed.kind === 'full') return parsed.positions;
  return resolveCursor(parsed, saved.get(parsed.baseId) ?? null)!.positions;
}

t.test('one stream: full at first, then its base and only the rooms that moved', async (t) => {
  const ids = rooms(50);
  const s = streamOf(new Map(ids.map((id, i) => [id, i])));
  const id = s.make(null);
  for (const roomId of ids) id.moved(roomId);
  const first = id.current();
  t.same(decodeFull(first), new Map(ids.map((r, i) => [r, i])), 'no base yet: the full form');
  await flush();
  t.equal(s.saved.size, 1, 'the positions are stored as a base');
  const baseId = [...s.saved.keys()][0]!;
  t.equal(id.current(), baseId, 'then the id is the base alone');

  s.advance(ids[7]!);
  id.moved(ids[7]!);
  const one = id.current();
  t.ok(one.length < 24, `one room moved: ${one}`);
  t.same(positionsOf(one, s.saved), new Map(ids.map((r, i) => [r, r === ids[7] ? 8 : i])), 'names every position');

  for (const r of ids.slice(10, 13)) {
    s.advance(r);
    id.moved(r);
  }
  const four = id.current();
  t.same(positionsOf(four, s.saved).get(ids[12]!), 13);
  t.equal(parseCursor(four)?.kind, 'based');
  await flush();
  t.equal(s.saved.size, 2, 'more entries than the limit: a new base is stored');
  const now = id.current();
  t.equal(now, [...s.saved.keys()][1], 'and ids name it once it is stored');
  t.same(positionsOf(now, s.saved), positionsOf(four, s.saved), 'the same positions');
  t.same(positionsOf(four, s.saved), positionsOf(four, s.saved), 'and the older id still resolves');
});

t.test('a room no longer followed is marked absent; a room not in the base is spelt out', async (t) => {
  const [a, b, c] = rooms(3);
  const s = streamOf(
    new Map([
      [a!, 1],
      [b!, 2],
    ]),
    { maxEntries: 5, minRebaseMs: 0, refreshMs: 3_600_000 },
  );
  const base = makeBase([
    [a!, 1],
    [b!, 2],
  ]);
  s.saved.set(base.id, base);
  const id = s.make(base);
  t.equal(id.current(), base.id, 'resumed at the base: the base alone');
  s.cursors.delete(b!);
  id.moved(b!);
  s.follow(c!, 40);
  id.moved(c!);
  const now = id.current();
  t.equal(now, `${base.id}.${base.index.get(b!)}:-,${c}:40`);
  t.same(
    positionsOf(now, s.saved),
    new Map([
      [a!, 1],
      [c!, 40],
    ]),
  );
});

t.test('a base that cannot be stored: ids keep the last one that was, and a later id tries again', async (t) => {
  const ids = rooms(4);
  const s = streamOf(new Map(ids.map((r) => [r, 0])), { maxEntries: 1, minRebaseMs: 0, refreshMs: 3_600_000 });
  s.fail(true);
  const id = s.make(null);
  for (const r of ids) id.moved(r);
  id.current();
  await flush();
  t.equal(s.saved.size, 0);
  t.equal(parseCursor(id.current())?.kind, 'full', 'still the full form');
  await flush(); // that id's try fails too
  t.equal(s.saved.size, 0);
  s.fail(false);
  id.current();
  await flush();
  t.equal(id.current(), [...s.saved.keys()][0], 'stored on the next try');
});
