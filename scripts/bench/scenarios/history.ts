/**
 * History pages in a big room, without and with reactions: two rooms of the same messages are seeded straight into a
 * SQLite file (no HTTP, so seeding takes seconds, not hours), and the second gets `reactions` reactions (half on its
 * newest thousand messages, where pages are dense with them, half spread over the whole room). Then a pinned Parley
 * serves them and GET /api/rooms/:id/messages is timed, one request at a time, the rooms taking turns: the newest
 * page, and pages `before` random seqs deep in the history. A page loads its reactions with one query whatever it
 * holds, so the two rooms should match.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../../server/auth/passwords.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import type { PublicUser } from '../../../server/store/store.js';
import { expectOk, request } from '../lib/http.js';
import { PASSWORD, startParley } from '../lib/targets.js';

export interface HistoryOptions {
  messages: number;
  reactions: number;
  users: number;
  /** Timed requests per kind of page. */
  requests: number;
  log: (line: string) => void;
}

export interface PageLatency {
  page: 'newest' | 'deep';
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  /** Reactions the pages carried on average. */
  reactionsPerPage: number;
}

export interface HistoryResult {
  messages: number;
  reactions: number;
  seedS: number;
  without: PageLatency[];
  with: PageLatency[];
}

const EMOJI = ['👍', '❤️', '😂', '🎉', '👀', '🙏', '🔥', '✅'];

/** A small deterministic PRNG (mulberry32), so every run seeds the same room. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Runs `jobs` through the store in batches: the group commit takes each batch as one transaction. */
async function inBatches(count: number, job: (i: number) => Promise<unknown>, size = 1000): Promise<void> {
  for (let start = 0; start < count; start += size) {
    await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => job(start + k)));
  }
}

export async function historyPages(opts: HistoryOptions): Promise<HistoryResult> {
  const { log } = opts;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-history-'));
  try {
    const t0 = performance.now();
    const store = new SqliteStore({ file: path.join(dataDir, 'parley.db'), synchronous: 'NORMAL' });
    const hash = await hashPassword(PASSWORD, 4);
    const people: PublicUser[] = [];
    for (let i = 0; i < opts.users; i++) {
      const u = await store.createUser({
        username: `hist${i}`,
        email: `hist${i}@bench.invalid`,
        passwordHash: hash,
        displayName: `History ${i}`,
        gender: 'unspecified',
        avatar: null,
      });
      people.push({ id: u.id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: null });
    }
    // Two rooms with the same messages; only the second gets reactions.
    const rooms: Array<{ id: string; seqs: number[] }> = [];
    for (const name of ['plain', 'reacted']) {
      const { room } = await store.createRoom({ name, topic: '', kind: 'public', owner: people[0]! });
      for (const p of people.slice(1)) await store.addMember(room.id, p, 'member', p);
      const seqs: number[] = [];
      await inBatches(opts.messages, async (i) => {
        const { message } = await store.postMessage(room.id, people[i % people.length]!, {
          text: `message ${i}: the quick brown fox jumps over the lazy dog`,
          attachments: [],
        });
        seqs.push(message.seq);
      });
      rooms.push({ id: room.id, seqs: seqs.sort((a, b) => a - b) });
    }
    const [plain, reacted] = rooms as [(typeof rooms)[0], (typeof rooms)[0]];
    const random = prng(11);
    const newest = reacted.seqs.slice(-1000);
    await inBatches(opts.reactions, async (i) => {
      const pool = i % 2 === 0 ? newest : reacted.seqs;
      const seq = pool[Math.floor(random() * pool.length)]!;
      const who = people[Math.floor(random() * people.length)]!;
      await store.addReaction(reacted.id, seq, EMOJI[Math.floor(random() * EMOJI.length)]!, who, 20);
    });
    const stored = (await store.getRoom(reacted.id))!.lastSeq - (await store.getRoom(plain.id))!.lastSeq;
    await store.close();
    const seedS = (performance.now() - t0) / 1000;
    log(`  seeded 2 rooms of ${opts.messages} messages, ${stored} reactions in one, in ${seedS.toFixed(1)} s`);

    const server = await startParley({ dataDir });
    try {
      const login = await expectOk(
        request(server.port, 'POST', '/api/auth/login', { login: 'hist0', password: PASSWORD }),
        'login',
      );
      const auth = { authorization: `Bearer ${String(login.accessToken)}` };
      const without: PageLatency[] = [];
      const withReactions: PageLatency[] = [];
      for (const page of ['newest', 'deep'] as const) {
        // The two rooms take turns, request by request, so both meet the same machine (it is shared).
        const times: [number[], number[]] = [[], []];
        const counted = [0, 0];
        const positions = prng(7);
        for (let i = -20; i < opts.requests; i++) {
          const at = positions();
          for (const [k, room] of [plain, reacted].entries()) {
            const before = room.seqs[Math.floor(at * room.seqs.length)]!;
            const url = `/api/rooms/${room.id}/messages?limit=50${page === 'deep' ? `&before=${before}` : ''}`;
            const started = performance.now();
            const body = await expectOk(request(server.port, 'GET', url, undefined, auth), 'history page');
            const took = performance.now() - started;
            if (i < 0) continue; // warm-up
            times[k]!.push(took);
            for (const m of body.messages as Array<{ reactions: Array<{ count: number }> }>) {
              for (const r of m.reactions) counted[k]! += r.count;
            }
          }
        }
        for (const k of [0, 1]) {
          const sorted = times[k]!.sort((a, b) => a - b);
          const result: PageLatency = {
            page,
            p50: percentile(sorted, 0.5),
            p95: percentile(sorted, 0.95),
            p99: percentile(sorted, 0.99),
            mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
            reactionsPerPage: counted[k]! / sorted.length,
          };
          log(
            `  ${(k ? 'with reactions' : 'no reactions').padEnd(16)} ${page.padEnd(6)} p50 ${result.p50.toFixed(2)} ms  ` +
              `p95 ${result.p95.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  ` +
              `(${result.reactionsPerPage.toFixed(1)} reactions a page)`,
          );
          (k ? withReactions : without).push(result);
        }
      }
      return { messages: opts.messages, reactions: stored, seedS, without, with: withReactions };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
