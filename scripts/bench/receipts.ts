/**
 * Receipts micro-benchmark (issue 13, "receipts that scale"): the store's side of delivery receipts in one room of
 * N members, on the SQLite store. Times one markDelivered flush of every member (all at the room head, as after
 * live fan-out; and spread over 10 seqs, as after a reconnect storm), watermarks(), and the watermark reads of N
 * streams starting at once (hub.follow). Medians of a few rounds.
 *
 *   npx tsx scripts/bench/receipts.ts [--members=10000] [--rounds=5]
 *
 * Members are made through the Store port (so the script runs against older checkouts too) with synchronous=NORMAL;
 * the timings reopen the database with FULL, the default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { Receipts } from '../../server/realtime/receipts.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { PublicUser } from '../../server/store/store.js';

const arg = (name: string, fallback: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
};
const members = arg('members', 10_000);
const rounds = arg('rounds', 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-receipts-bench-'));
const file = path.join(dir, 'parley.db');
try {
  let store = new SqliteStore({ file, synchronous: 'NORMAL' });
  const user = async (i: number): Promise<PublicUser> => {
    const u = await store.createUser({
      username: `m${i}`,
      email: `m${i}@example.com`,
      passwordHash: 'x',
      displayName: `m${i}`,
      gender: 'unspecified',
      avatar: null,
    });
    return { id: u.id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar };
  };
  const owner = await user(0);
  const { room } = await store.createRoom({ name: 'big', topic: '', kind: 'public', owner });
  const ids = [owner.id];
  for (let start = 1; start < members; start += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, members - start) }, (_, k) => user(start + k)));
    await Promise.all(batch.map((u) => store.addMember(room.id, u, 'member', u)));
    ids.push(...batch.map((u) => u.id));
  }
  await store.close();
  store = new SqliteStore({ file, synchronous: 'FULL' });

  const post = async () => (await store.postMessage(room.id, owner, { text: 'hi', attachments: [] })).message.seq;
  // CPU time (user + system) of this process as well as wall time: better-sqlite3 works on the main thread, so CPU
  // time is what the call costs the event loop, and is far less disturbed than wall time on a shared machine.
  const cpu: Record<string, number[]> = { same: [], spread: [], marks: [], storm: [] };
  const time = async (fn: () => Promise<unknown>, kind: string) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu[kind]!.push((c.user + c.system) / 1000);
    return wall;
  };
  // The longest the event loop was held during a flush of every member: the largest gap between turns of a chain of
  // setImmediate probes running beside it.
  const blocked: number[] = [];
  const probed = async (fn: () => Promise<unknown>) => {
    let last = performance.now();
    let longest = 0;
    let probing = true;
    const probe = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (probing) setImmediate(probe);
    };
    setImmediate(probe);
    await fn();
    probing = false;
    await new Promise((resolve) => setImmediate(resolve));
    blocked.push(longest);
  };
  const same: number[] = [];
  const spread: number[] = [];
  const marks: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const seq = await post();
    const all = ids.map((userId) => ({ roomId: room.id, userId, seq }));
    same.push(await time(() => probed(() => store.markDelivered(all)), 'same'));
    const seqs: number[] = [];
    for (let k = 0; k < 10; k++) seqs.push(await post());
    const batch = ids.map((userId, i) => ({ roomId: room.id, userId, seq: seqs[i % 10]! }));
    spread.push(await time(() => store.markDelivered(batch), 'spread'));
    for (let k = 0; k < 20; k++) marks.push(await time(() => store.watermarks(room.id), 'marks'));
  }
  // What hub.follow() reads when every member's stream starts at once (a restart): Receipts.current() where it
  // exists, else (older checkouts) the store read the hub made per stream.
  const receipts = new Receipts(store, () => {}, { error: () => {} } as unknown as FastifyBaseLogger);
  const followRead =
    'current' in receipts
      ? (roomId: string) => (receipts as unknown as { current(id: string): Promise<unknown> }).current(roomId)
      : (roomId: string) => store.watermarks(roomId);
  const storm: number[] = [];
  for (let r = 0; r < rounds; r++) {
    storm.push(await time(() => Promise.all(ids.map(() => followRead(room.id))), 'storm'));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past Receipts' cache window: each round reads anew
  }
  await receipts.stop();
  const w = await store.watermarks(room.id);
  await store.close();
  console.log(`receipts, SQLite (synchronous=FULL), one room of ${members} members, median of ${rounds} rounds:`);
  const line = (what: string, wall: number[], kind: string) =>
    console.log(
      `  ${what.padEnd(44)} wall ${ms(median(wall)).padStart(10)}   cpu ${ms(median(cpu[kind]!)).padStart(10)}`,
    );
  line('markDelivered, every member at the head', same, 'same');
  console.log(`  ${'  longest event-loop turn during it'.padEnd(44)} wall ${ms(median(blocked)).padStart(10)}`);
  line('markDelivered, members spread over 10 seqs', spread, 'spread');
  line(`watermarks() (median of ${marks.length})`, marks, 'marks');
  line(`watermark reads of ${members} streams starting`, storm, 'storm');
  console.log(`  final watermarks: delivered ${w.deliveredSeq}, read ${w.readSeq}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
