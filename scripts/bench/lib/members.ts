/**
 * The distinct-member fixture: a Parley data directory seeded once per run through the API (register, sign in, join)
 * with one public room per size, the room of size N holding exactly N members, each member with one access token
 * (a session of its own). Every server of the distinct-member scenarios then starts on a fresh copy of it, so 10,000
 * members are created once per run rather than once per system, size and variant.
 *
 * Honest on purpose: the members are made by the measured server itself (bcrypt at BCRYPT_ROUNDS=4, the password
 * strength check, sessions, member.joined events in each room's log), never written into its files by the harness,
 * so the seed fits whatever schema the server under --server-root has.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectOk, request } from './http.js';
import { startParley, type ParleyOptions, type Running } from './targets.js';

export interface MemberRoom {
  size: number;
  roomId: string;
  /** One access token per member (members 0..size-1), each from its own sign-in. */
  tokens: string[];
}

/** Rooms besides the measured one, as a web user has: each member joins `each` of a pool of `pool` quiet rooms. */
export interface OtherRooms {
  pool: number;
  each: number;
}

export interface MemberSeed {
  dir: string;
  posterToken: string;
  rooms: MemberRoom[];
  /** The pool of other rooms, when seeded with them. */
  otherRooms?: OtherRooms;
  /** Wall time of the seeding, seconds. */
  seconds: number;
  members: number;
  /** Kept in BENCH_SEED_CACHE: not removed after the run. */
  cached?: boolean;
}

/** Runs `fn` over 0..n-1 with at most `concurrency` calls in flight; the first failure rejects. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
}

/** Strong enough for the server's check (zxcvbn score 4) and short, so the check costs ~5 ms rather than ~16. */
const MEMBER_PASSWORD = 'Qz8vK2pW9xLm';

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function member(port: number, name: string): Promise<string> {
  await expectOk(
    request(port, 'POST', '/api/auth/register', {
      username: name,
      email: `${name}@bench.invalid`,
      password: MEMBER_PASSWORD,
    }),
    `register ${name}`,
  );
  const login = await expectOk(
    request(port, 'POST', '/api/auth/login', { login: name, password: MEMBER_PASSWORD }),
    name,
  );
  return String(login.accessToken);
}

const distinctSorted = (sizes: number[]) => [...new Set(sizes)].sort((a, b) => a - b);

/** A kept seed is reused for this long (its access tokens live 24 hours). */
const SEED_CACHE_MS = 12 * 3600_000;

/**
 * The fixture for these sizes. With BENCH_SEED_CACHE=<dir> (for working on the server: seeding 10,000 members takes
 * over a minute) a seed made in the last 12 hours for the same sizes is reused, and a new one is kept there; the
 * servers always run on copies, so the kept one stays as seeded. A cached seed is made by this checkout's server.
 */
export async function seedMembers(
  sizes: number[],
  log: (line: string) => void,
  otherRooms?: OtherRooms,
): Promise<MemberSeed> {
  const cacheRoot = process.env.BENCH_SEED_CACHE;
  if (!cacheRoot) return makeSeed(sizes, log, otherRooms);
  const others = otherRooms ? `-other${otherRooms.each}of${otherRooms.pool}` : '';
  const kept = path.join(cacheRoot, distinctSorted(sizes).join('-') + others);
  const manifest = path.join(kept, 'seed.json');
  if (existsSync(manifest) && Date.now() - statSync(manifest).mtimeMs < SEED_CACHE_MS) {
    log(`  seed: reusing ${kept} (BENCH_SEED_CACHE)`);
    return {
      ...(JSON.parse(readFileSync(manifest, 'utf8')) as MemberSeed),
      dir: path.join(kept, 'data'),
      cached: true,
    };
  }
  const seed = await makeSeed(sizes, log, otherRooms);
  rmSync(kept, { recursive: true, force: true });
  mkdirSync(kept, { recursive: true });
  cpSync(seed.dir, path.join(kept, 'data'), { recursive: true });
  writeFileSync(manifest, JSON.stringify({ ...seed, dir: undefined }));
  return seed;
}

/** The other rooms member `i` joins: `each` distinct rooms of the pool, picked by a fixed shuffle of its own. */
export function otherRoomsOf(i: number, { pool, each }: OtherRooms): number[] {
  const picked: number[] = [];
  // A small LCG seeded by the member's number: the same picks every run, and mostly different sets per member.
  let x = (i * 2654435761 + 1) >>> 0;
  while (picked.length < Math.min(each, pool)) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const r = x % pool;
    if (!picked.includes(r)) picked.push(r);
  }
  return picked;
}

async function makeSeed(sizes: number[], log: (line: string) => void, otherRooms?: OtherRooms): Promise<MemberSeed> {
  const t0 = performance.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-seed-'));
  const sorted = distinctSorted(sizes);
  const max = sorted[sorted.length - 1] ?? 0;
  let server: Running | null = null;
  try {
    // Seeding is set-up, not a measurement: without an fsync per commit it is several times faster, and the rows it
    // leaves are the same. The servers that are measured run on copies with the default (FULL).
    // Nothing else runs meanwhile, so it may use every CPU (bcrypt and the strength check run off the main thread).
    // Tokens that outlive a full run (and a cached seed's reuse), so no stream ends on expiry mid-measurement.
    server = await startParley({
      dataDir: dir,
      env: { SQLITE_SYNCHRONOUS: 'NORMAL', ACCESS_TOKEN_TTL: '24h' },
      unpinned: true,
    });
    const port = server.port;
    const posterToken = await member(port, 'poster_members');
    const createRoom = async (name: string) => {
      const body = { name, kind: 'public' };
      return String(
        (await expectOk(request(port, 'POST', '/api/rooms', body, auth(posterToken)), 'create room')).room.id,
      );
    };
    const rooms: MemberRoom[] = [];
    for (const size of sorted) {
      rooms.push({ size, roomId: await createRoom(`members-${size}`), tokens: new Array<string>(size) });
    }
    const otherIds: string[] = [];
    for (let i = 0; i < (otherRooms?.pool ?? 0); i++) otherIds.push(await createRoom(`other-${i}`));
    const tokens = new Array<string>(max);
    let done = 0;
    // Concurrent, so that bcrypt and the strength check of many members overlap the group commit's fsyncs.
    await pool(max, 32, async (i) => {
      const token = await member(port, `member${i}`);
      tokens[i] = token;
      for (const r of rooms) {
        if (i >= r.size) continue;
        await expectOk(request(port, 'POST', `/api/rooms/${r.roomId}/join`, undefined, auth(token)), `join member${i}`);
        r.tokens[i] = token;
      }
      for (const k of otherRooms ? otherRoomsOf(i, otherRooms) : []) {
        await expectOk(
          request(port, 'POST', `/api/rooms/${otherIds[k]}/join`, undefined, auth(token)),
          `join other${k}`,
        );
      }
      if (++done % 2000 === 0) log(`  seed: ${done} of ${max} members`);
    });
    const seconds = (performance.now() - t0) / 1000;
    const others = otherRooms ? `, each also in ${otherRooms.each} of ${otherRooms.pool} other rooms,` : '';
    log(`  seed: ${max} members in ${sorted.length} rooms (${sorted.join(', ')})${others} in ${seconds.toFixed(1)} s`);
    return { dir, posterToken, rooms, seconds, members: max, otherRooms };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    // A graceful stop checkpoints SQLite's WAL, so the copies below start from one consistent file set.
    await server?.stop();
  }
}

/** A Parley server on a fresh copy of the seed (removed when the server stops, unless keepData). */
export async function startSeeded(
  seed: MemberSeed,
  opts: Omit<ParleyOptions, 'dataDir'> & { keepData?: boolean } = {},
): Promise<Running & { dataDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  cpSync(seed.dir, dataDir, { recursive: true });
  let running: Running;
  try {
    running = await startParley({ ...opts, dataDir });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const stop = running.stop.bind(running);
  return {
    ...running,
    dataDir,
    async stop() {
      await stop();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function removeSeed(seed: MemberSeed | null): void {
  if (seed && !seed.cached) rmSync(seed.dir, { recursive: true, force: true });
}

export function seedRoom(seed: MemberSeed, size: number): MemberRoom {
  const r = seed.rooms.find((x) => x.size === size);
  if (!r) throw new Error(`no seeded room of ${size} members`);
  return r;
}
