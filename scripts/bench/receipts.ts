/**
 * Receipts micro-benchmark (issue 13, "receipts that scale"): the store's side of delivery receipts in one room of
 * N members, on the SQLite store. Times one markDelivered flush of every member (all at the room head, as after
 * live fan-out; and spread over 10 seqs, as after a reconnect storm) and watermarks(). Medians of a few rounds.
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
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const same: number[] = [];
  const spread: number[] = [];
  const marks: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const seq = await post();
    same.push(await time(() => store.markDelivered(ids.map((userId) => ({ roomId: room.id, userId, seq })))));
    const seqs: number[] = [];
    for (let k = 0; k < 10; k++) seqs.push(await post());
    const batch = ids.map((userId, i) => ({ roomId: room.id, userId, seq: seqs[i % 10]! }));
    spread.push(await time(() => store.markDelivered(batch)));
    for (let k = 0; k < 20; k++) marks.push(await time(() => store.watermarks(room.id)));
  }
  const w = await store.watermarks(room.id);
  await store.close();
  console.log(`receipts, SQLite (synchronous=FULL), one room of ${members} members, median of ${rounds} rounds:`);
  console.log(`  markDelivered, every member at the head:   ${ms(median(same))}`);
  console.log(`  markDelivered, members spread over 10 seqs: ${ms(median(spread))}`);
  console.log(`  watermarks() (median of ${marks.length}):          ${ms(median(marks))}`);
  console.log(`  final watermarks: delivered ${w.deliveredSeq}, read ${w.readSeq}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
